import { describe, expect, it } from "vitest";
import { readDemoOptions } from "../src/demo-options.js";

describe("readDemoOptions", () => {
  it("defaults to port 8080", () => {
    expect(readDemoOptions({})).toEqual({
      port: 8080,
      adminPassword: undefined,
      databaseUrl: undefined,
    });
  });

  it("reads the port and the password", () => {
    const options = readDemoOptions({
      BERTH_DEMO_PORT: "8081",
      BERTH_ADMIN_PASSWORD: "a-long-password",
      TEST_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
    });

    expect(options).toEqual({
      port: 8081,
      adminPassword: "a-long-password",
      databaseUrl: "postgres://postgres@127.0.0.1:5432/test",
    });
  });

  it.each(["0", "65536", "80a", "8.5"])("rejects port %s naming it", (value) => {
    expect(() => readDemoOptions({ BERTH_DEMO_PORT: value })).toThrow(
      `BERTH_DEMO_PORT is "${value}": expected a whole number from 1 to 65535`,
    );
  });

  it("rejects a short password with its length", () => {
    expect(() => readDemoOptions({ BERTH_ADMIN_PASSWORD: "short" })).toThrow(
      "BERTH_ADMIN_PASSWORD is 5 characters long: use at least 12",
    );
  });
});
