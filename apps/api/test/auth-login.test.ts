import { auditLog, sessions } from "@berth/store";
import { describe, expect, test } from "vitest";
import { createLoginLimiter } from "../src/auth/rate-limit.js";
import { authApp, login, type PrincipalJson } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, TEST_PASSWORD, useDatabase } from "./helpers.js";

function postLogin(
  app: ReturnType<typeof authApp>,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return app.request("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", host: "berth.test", ...headers },
    body: JSON.stringify(body),
  });
}

describe.each(ENGINES)("login on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("login sets a strict HttpOnly cookie", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);

    const response = await postLogin(app, { username: "Alice", password: TEST_PASSWORD });
    const cookie = response.headers.get("set-cookie") ?? "";
    const body = await json<{ user: { username: string; role: string } }>(response);

    expect(response.status).toBe(200);
    expect(body.user).toMatchObject({ username: "alice", role: "operator" });
    expect(cookie).toMatch(/^berth_session=[\w-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).not.toContain("Secure");
  });

  test("login behind HTTPS sets Secure", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);

    const response = await postLogin(
      app,
      { username: "alice", password: TEST_PASSWORD },
      { "x-forwarded-proto": "https" },
    );

    expect(response.status).toBe(200);
    expect(response.headers.get("set-cookie")).toContain("Secure");
  });

  test("session is stored hashed", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);

    const cookie = await login(app, "alice");
    const rows = await handle.db.select().from(sessions);

    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toMatch(/^[a-f0-9]{64}$/);
    expect(cookie).not.toContain(rows[0]?.tokenHash ?? "none");
  });

  test("session cookie authenticates until logout", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const me = await app.request("/auth/me", { headers: { cookie } });
    const logout = await app.request("/auth/logout", {
      method: "POST",
      headers: { cookie, host: "berth.test", origin: "http://berth.test" },
    });
    const after = await app.request("/auth/me", { headers: { cookie } });

    expect(me.status).toBe(200);
    expect((await json<{ user: { username: string } }>(me)).user.username).toBe("alice");
    expect(logout.status).toBe(204);
    expect(logout.headers.get("set-cookie")).toContain("Max-Age=0");
    expect(after.status).toBe(401);
  });

  test("wrong password gives 401", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);

    const wrong = await postLogin(app, { username: "alice", password: "nope" });
    const unknown = await postLogin(app, { username: "mallory", password: TEST_PASSWORD });

    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect((await errorOf(wrong)).message).toBe("user name or password is wrong");
    expect(unknown.status).toBe(401);
    expect(await handle.db.select().from(sessions)).toHaveLength(0);
  });

  test("disabled user cannot log in", async () => {
    const handle = database();
    const user = await seedUser(handle, "alice", "viewer");
    await handle.db.execute(`update users set disabled = true where id = '${user.id}'`);
    const app = authApp(handle.db);

    const response = await postLogin(app, { username: "alice", password: TEST_PASSWORD });

    expect(response.status).toBe(401);
  });

  test("repeated failures are rate limited", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    let clock = 1_000_000;
    const app = authApp(handle.db, {
      loginLimiter: createLoginLimiter({ maxFailures: 3, windowMs: 60_000, now: () => clock }),
    });

    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await postLogin(app, { username: "alice", password: "nope" })).status).toBe(401);
    }
    const blocked = await postLogin(app, { username: "alice", password: TEST_PASSWORD });
    clock += 61_000;
    const later = await postLogin(app, { username: "alice", password: TEST_PASSWORD });

    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toBe("60");
    expect((await errorOf(blocked)).code).toBe("rate_limited");
    expect(later.status).toBe(200);
  });

  test("user limit leaves other users alone", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    await seedUser(handle, "bob", "viewer");
    const app = authApp(handle.db, { loginLimiter: undefined });

    for (let attempt = 0; attempt < 10; attempt += 1) {
      expect((await postLogin(app, { username: "alice", password: "nope" })).status).toBe(401);
    }
    const alice = await postLogin(app, { username: "alice", password: TEST_PASSWORD });
    const bob = await postLogin(app, { username: "bob", password: TEST_PASSWORD });

    expect(alice.status).toBe(429);
    expect(bob.status).toBe(200);
  });

  test("invalid login body gives 422", async () => {
    const handle = database();
    const app = authApp(handle.db);

    const response = await postLogin(app, { username: 42 });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["username", "password"]);
  });

  test("cross-site login gives 403", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);

    const response = await postLogin(
      app,
      { username: "alice", password: TEST_PASSWORD },
      { origin: "https://evil.example.test" },
    );

    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toContain("https://evil.example.test");
  });

  test("login and logout are audited", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    await app.request("/auth/logout", { method: "POST", headers: { cookie } });
    const rows = await handle.db.select().from(auditLog).orderBy(auditLog.id);

    expect(rows.map((row) => row.action)).toEqual(["session.login", "session.logout"]);
    expect(rows[0]).toMatchObject({ actorType: "user", actorName: "alice" });
  });

  test("me shows the principal", async () => {
    const handle = database();
    await seedUser(handle, "alice", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const response = await app.request("/probe/viewer", { headers: { cookie } });
    const body = await json<PrincipalJson>(response);

    expect(body.principal).toMatchObject({ type: "user", username: "alice", role: "admin" });
  });
});
