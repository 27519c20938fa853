import { startNpmStandIn } from "@berth/testing";
import { describe, expect, test } from "vitest";
import { json, useDatabase } from "./helpers.js";
import { fullApp, signedIn } from "./ops-helpers.js";

type Check = { ok: boolean; message: string };

describe("POST /settings/npm/test", () => {
  const database = useDatabase("pglite");

  async function admin() {
    const app = fullApp(database());
    return { app, call: await signedIn(app, database(), "admin") };
  }

  test("stand-in with stored credentials reports ok", async () => {
    const npm = await startNpmStandIn();
    try {
      const { call } = await admin();
      await call("PATCH", "/settings", {
        npmUrl: npm.url,
        npmEmail: npm.email,
        npmPassword: npm.password,
      });

      const response = await call("POST", "/settings/npm/test");

      expect(response.status).toBe(200);
      const body = await json<Check>(response);
      expect(body.ok).toBe(true);
      expect(body.message).toContain("0 proxy hosts");
    } finally {
      await npm.stop();
    }
  });

  test("wrong password reports failure", async () => {
    const npm = await startNpmStandIn();
    try {
      const { call } = await admin();
      await call("PATCH", "/settings", {
        npmUrl: npm.url,
        npmEmail: npm.email,
        npmPassword: "wrong-password-123",
      });

      const response = await call("POST", "/settings/npm/test");

      expect(response.status).toBe(200);
      const body = await json<Check>(response);
      expect(body.ok).toBe(false);
      expect(body.message).toContain(npm.url);
      expect(body.message).not.toContain("wrong-password-123");
    } finally {
      await npm.stop();
    }
  });

  test("missing configuration reports failure", async () => {
    const { call } = await admin();

    const response = await call("POST", "/settings/npm/test");

    expect(response.status).toBe(200);
    const body = await json<Check>(response);
    expect(body.ok).toBe(false);
    expect(body.message).toContain("not configured");
  });

  test("operator check answers 403", async () => {
    const app = fullApp(database());
    const call = await signedIn(app, database(), "operator");

    expect((await call("POST", "/settings/npm/test")).status).toBe(403);
  });

  test("no session answers 401", async () => {
    const app = fullApp(database());

    const response = await app.request("/api/v1/settings/npm/test", { method: "POST" });

    expect(response.status).toBe(401);
  });
});
