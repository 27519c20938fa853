import { apiTokens, auditLog } from "@berth/store";
import { describe, expect, test } from "vitest";
import { authApp, createToken, login, type PrincipalJson } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, useDatabase } from "./helpers.js";

const SAME_ORIGIN = { host: "berth.test", origin: "http://berth.test" };

describe.each(ENGINES)("access control on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("no credential gives 401", async () => {
    const app = authApp(database().db);

    const response = await app.request("/probe/viewer");
    const error = await errorOf(response);

    expect(response.status).toBe(401);
    expect(error.code).toBe("unauthorized");
    expect(error.message).toContain("Authorization: Bearer");
  });

  test("unknown session cookie gives 401", async () => {
    const app = authApp(database().db);

    const response = await app.request("/probe/viewer", {
      headers: { cookie: "berth_session=forged" },
    });

    expect(response.status).toBe(401);
  });

  test.each([
    { role: "viewer" as const, route: "/probe/operator", status: 403 },
    { role: "operator" as const, route: "/probe/operator", status: 200 },
    { role: "operator" as const, route: "/probe/admin", status: 403 },
    { role: "admin" as const, route: "/probe/admin", status: 200 },
  ])("$role on $route gives $status", async ({ role, route, status }) => {
    const handle = database();
    await seedUser(handle, "alice", role);
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const response = await app.request(route, {
      method: "POST",
      headers: { cookie, ...SAME_ORIGIN },
    });

    expect(response.status).toBe(status);
  });

  test("forbidden message names level and role", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const response = await app.request("/probe/admin", { method: "POST", headers: { cookie } });
    const error = await errorOf(response);

    expect(error.code).toBe("forbidden");
    expect(error.message).toContain("requires admin access");
    expect(error.message).toContain("role viewer");
  });

  test.each([
    { scope: "read", route: "/probe/operator", status: 403 },
    { scope: "deploy", route: "/probe/operator", status: 200 },
    { scope: "deploy", route: "/probe/admin", status: 403 },
    { scope: "admin", route: "/probe/admin", status: 200 },
  ])("token scope $scope on $route gives $status", async ({ scope, route, status }) => {
    const handle = database();
    await seedUser(handle, "alice", "admin");
    const app = authApp(handle.db);
    const { secret } = await createToken(app, await login(app, "alice"), scope);

    const response = await app.request(route, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
    });

    expect(response.status).toBe(status);
  });

  test("token never exceeds its owner's role", async () => {
    const handle = database();
    const owner = await seedUser(handle, "bob", "admin");
    const app = authApp(handle.db);
    const { secret } = await createToken(app, await login(app, "bob"), "admin");
    await handle.db.execute(`update users set role = 'viewer' where id = '${owner.id}'`);

    const response = await app.request("/probe/operator", {
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
    });

    expect(response.status).toBe(403);
  });

  test("token principal carries its name and scope", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const { secret } = await createToken(app, await login(app, "alice"), "read");

    const response = await app.request("/probe/viewer", {
      headers: { authorization: `bearer ${secret}` },
    });
    const body = await json<PrincipalJson>(response);

    expect(response.status).toBe(200);
    expect(body.principal).toMatchObject({ type: "token", tokenName: "ci-read", scope: "read" });
  });

  test.each([
    { header: "Bearer berth_notatoken", message: "unknown, revoked or expired" },
    { header: "Basic YWxpY2U6c2VjcmV0", message: "not a bearer token" },
  ])("bad Authorization $header gives 401", async ({ header, message }) => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    // A bad token is rejected even beside a valid cookie: it is never silently ignored.
    const response = await app.request("/probe/viewer", {
      headers: { authorization: header, cookie },
    });

    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toContain(message);
  });

  test("cross-origin cookie request gives 403", async () => {
    const handle = database();
    await seedUser(handle, "alice", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const evil = await app.request("/probe/admin", {
      method: "POST",
      headers: { cookie, host: "berth.test", origin: "https://evil.example.test" },
    });
    const crossSite = await app.request("/probe/admin", {
      method: "POST",
      headers: { cookie, host: "berth.test", "sec-fetch-site": "cross-site" },
    });
    const same = await app.request("/probe/admin", {
      method: "POST",
      headers: { cookie, ...SAME_ORIGIN },
    });

    expect(evil.status).toBe(403);
    expect((await errorOf(evil)).message).toContain(
      "cross-origin request from https://evil.example.test",
    );
    expect(crossSite.status).toBe(403);
    expect(same.status).toBe(200);
  });

  test("trusted origin passes the CSRF check", async () => {
    const handle = database();
    await seedUser(handle, "alice", "admin");
    const app = authApp(handle.db, { trustedOrigins: ["https://berth.example.test"] });
    const cookie = await login(app, "alice");

    const response = await app.request("/probe/admin", {
      method: "POST",
      headers: { cookie, host: "127.0.0.1:8080", origin: "https://berth.example.test" },
    });

    expect(response.status).toBe(200);
  });

  test("token request ignores Origin", async () => {
    const handle = database();
    await seedUser(handle, "alice", "admin");
    const app = authApp(handle.db);
    const { secret } = await createToken(app, await login(app, "alice"), "admin");

    const response = await app.request("/probe/admin", {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, origin: "https://ci.example.test" },
    });

    expect(response.status).toBe(200);
  });

  test("token is shown once and stored hashed", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const created = await createToken(app, cookie, "deploy");
    const listed = await app.request("/tokens", { headers: { cookie } });
    const listText = await listed.text();
    const [row] = await handle.db.select().from(apiTokens);

    expect(created.secret).toMatch(/^berth_[\w-]{43}$/);
    expect(created.token.prefix).toBe(created.secret.slice(0, 12));
    expect(listed.status).toBe(200);
    expect(listText).toContain(created.token.id);
    expect(listText).not.toContain(created.secret);
    expect(listText).not.toContain("tokenHash");
    expect(row?.tokenHash).toMatch(/^[a-f0-9]{64}$/);
  });

  test("token above the role gives 403", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const response = await app.request("/tokens", {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ name: "too-much", scope: "admin" }),
    });

    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toContain("request deploy or lower");
    expect(await handle.db.select().from(apiTokens)).toHaveLength(0);
  });

  test("invalid token body gives 422", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const response = await app.request("/tokens", {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ name: "", scope: "root", expiresInDays: 0 }),
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "name",
      "scope",
      "expiresInDays",
    ]);
  });

  test("revoked token gives 401", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");
    const { secret, token } = await createToken(app, cookie, "read");

    const revoke = await app.request(`/tokens/${token.id}`, {
      method: "DELETE",
      headers: { cookie },
    });
    const after = await app.request("/probe/viewer", {
      headers: { authorization: `Bearer ${secret}` },
    });

    expect(revoke.status).toBe(200);
    expect((await json<{ token: { revokedAt: string } }>(revoke)).token.revokedAt).toBeTruthy();
    expect(after.status).toBe(401);
  });

  test("expired token gives 401", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const { secret, token } = await createToken(app, await login(app, "alice"), "read");
    await handle.db.execute(
      `update api_tokens set expires_at = now() - interval '1 minute' where id = '${token.id}'`,
    );

    const response = await app.request("/probe/viewer", {
      headers: { authorization: `Bearer ${secret}` },
    });

    expect(response.status).toBe(401);
  });

  test("other user's token cannot be revoked", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    await seedUser(handle, "bob", "operator");
    const app = authApp(handle.db);
    const { token } = await createToken(app, await login(app, "alice"), "read");
    const bob = await login(app, "bob");

    const response = await app.request(`/tokens/${token.id}`, {
      method: "DELETE",
      headers: { cookie: bob },
    });

    expect(response.status).toBe(404);
  });

  test("token changes are audited", async () => {
    const handle = database();
    await seedUser(handle, "alice", "operator");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");
    const { token, secret } = await createToken(app, cookie, "read");
    await app.request(`/tokens/${token.id}`, { method: "DELETE", headers: { cookie } });

    const rows = await handle.db.select().from(auditLog).orderBy(auditLog.id);

    expect(rows.map((row) => row.action)).toEqual([
      "session.login",
      "token.create",
      "token.revoke",
    ]);
    expect(rows[1]).toMatchObject({
      targetType: "api_token",
      targetId: token.id,
      details: { scope: "read" },
    });
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
