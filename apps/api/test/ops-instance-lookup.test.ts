import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { errorOf, useDatabase } from "./helpers.js";
import { fullApp, signedIn } from "./ops-helpers.js";

describe("instance actions without an engine", () => {
  const database = useDatabase("pglite");

  test.each(["stop", "start", "restart", "remove"])("unknown id: %s is 404", async (action) => {
    const handle = database();
    const admin = await signedIn(fullApp(handle), handle, "admin");
    const id = randomUUID();

    const response = await admin("POST", `/instances/${id}/${action}`);

    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.code).toBe("not_found");
    expect(error.message).toContain(id);
  });
});
