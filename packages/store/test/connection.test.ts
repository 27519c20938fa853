import { describe, expect, test } from "vitest";
import { openDatabase, StoreError } from "../src/index.js";

async function openError(url: string): Promise<StoreError> {
  const error = await openDatabase({ url, connectTimeoutSeconds: 3 }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe("server connection", () => {
  test("unreachable server names host and what to check", async () => {
    const error = await openError("postgres://berth:s3cret-pw@127.0.0.1:1/berth");

    expect(error.kind).toBe("connection");
    expect(error.message).toContain("127.0.0.1:1/berth");
    expect(error.message).toContain("check that the server is running");
    expect(error.message).not.toContain("s3cret-pw");
  });

  test("malformed URL never echoes the password", async () => {
    const error = await openError("postgres://berth:s3cret-pw@127.0.0.1:notaport/berth");

    expect(error.message).toContain("DATABASE_URL (host 127.0.0.1) is not a valid URL");
    expect(error.message).toContain("postgres://USER:PASSWORD@HOST:5432/DATABASE");
    expect(error.message).not.toContain("s3cret-pw");
  });

  test("other scheme is rejected with the expected form", async () => {
    const error = await openError("mysql://berth:s3cret-pw@127.0.0.1/berth");

    expect(error.message).toContain('scheme "mysql:"');
    expect(error.message).not.toContain("s3cret-pw");
  });
});
