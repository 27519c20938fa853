import { auditLog, users } from "@berth/store";
import { describe, expect, test } from "vitest";
import { verifyPassword } from "../src/auth/crypto.js";
import { ensureFirstAdmin } from "../src/auth/first-admin.js";
import { authApp, createToken, login } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, TEST_PASSWORD, useDatabase } from "./helpers.js";

function postUser(app: ReturnType<typeof authApp>, cookie: string, body: unknown) {
  return app.request("/users", {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify(body),
  });
}

describe.each(ENGINES)("users on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("admin creates and lists users", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const created = await postUser(app, cookie, {
      username: "carol",
      password: "a long enough password",
      role: "operator",
    });
    const listed = await app.request("/users", { headers: { cookie } });
    const body = await json<{ users: Array<{ username: string }> }>(listed);

    expect(created.status).toBe(201);
    expect(body.users.map((user) => user.username)).toEqual(["carol", "root"]);
    expect(JSON.stringify(body)).not.toContain("scrypt");
    expect(await login(app, "carol", "a long enough password")).toMatch(/^berth_session=/);
  });

  test("duplicate user name gives 409", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const response = await postUser(app, cookie, {
      username: "ROOT",
      password: "a long enough password",
      role: "viewer",
    });

    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe("conflict");
  });

  test("invalid user gives 422 and stores nothing", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const response = await postUser(app, cookie, {
      username: "bad name",
      password: "short",
      role: "god",
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "username",
      "password",
      "role",
    ]);
    expect(await handle.db.select().from(users)).toHaveLength(1);
  });

  test("operator cannot manage users", async () => {
    const handle = database();
    await seedUser(handle, "olivia", "operator");
    const app = authApp(handle.db);
    const cookie = await login(app, "olivia");

    const response = await app.request("/users", { headers: { cookie } });

    expect(response.status).toBe(403);
  });

  test("admin deletes a user and its sessions", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const victim = await seedUser(handle, "dave", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");
    const daveCookie = await login(app, "dave");

    const response = await app.request(`/users/${victim.id}`, {
      method: "DELETE",
      headers: { cookie },
    });
    const after = await app.request("/auth/me", { headers: { cookie: daveCookie } });
    const audit = await handle.db.select().from(auditLog);

    expect(response.status).toBe(204);
    expect(after.status).toBe(401);
    expect(audit.find((row) => row.action === "user.delete")).toMatchObject({
      actorName: "root",
      targetId: victim.id,
      details: { username: "dave" },
    });
  });

  test("deleting yourself gives 409", async () => {
    const handle = database();
    const root = await seedUser(handle, "root", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const response = await app.request(`/users/${root.id}`, {
      method: "DELETE",
      headers: { cookie },
    });

    expect(response.status).toBe(409);
  });

  test.each(["00000000-0000-4000-8000-000000000000", "not-a-uuid"])(
    "deleting unknown user %s gives 404",
    async (id) => {
      const handle = database();
      await seedUser(handle, "root", "admin");
      const app = authApp(handle.db);
      const cookie = await login(app, "root");

      const response = await app.request(`/users/${id}`, { method: "DELETE", headers: { cookie } });

      expect(response.status).toBe(404);
      expect((await errorOf(response)).message).toContain(id);
    },
  );
});

describe.each(ENGINES)("user changes on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  function patchUser(app: ReturnType<typeof authApp>, cookie: string, id: string, body: unknown) {
    return app.request(`/users/${id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify(body),
    });
  }

  function changePassword(
    app: ReturnType<typeof authApp>,
    headers: Record<string, string>,
    body: unknown,
  ) {
    return app.request("/auth/password", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  }

  test("admin changes a role", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const dave = await seedUser(handle, "dave", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const response = await patchUser(app, cookie, dave.id, { role: "operator" });
    const audit = await handle.db.select().from(auditLog);

    expect(response.status).toBe(200);
    expect((await json<{ user: { role: string } }>(response)).user.role).toBe("operator");
    expect(audit.find((row) => row.action === "user.update")?.details).toEqual({
      fields: ["role"],
    });
  });

  test("disabling a user ends its sessions", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const dave = await seedUser(handle, "dave", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");
    const daveCookie = await login(app, "dave");

    const response = await patchUser(app, cookie, dave.id, { disabled: true });
    const after = await app.request("/auth/me", { headers: { cookie: daveCookie } });

    expect(response.status).toBe(200);
    expect(after.status).toBe(401);
    await expect(login(app, "dave")).rejects.toThrow("failed with 401");
  });

  test("admin cannot demote itself", async () => {
    const handle = database();
    const root = await seedUser(handle, "root", "admin");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const response = await patchUser(app, cookie, root.id, { role: "viewer" });

    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toContain("ask another admin");
  });

  test("invalid user change gives 422", async () => {
    const handle = database();
    await seedUser(handle, "root", "admin");
    const dave = await seedUser(handle, "dave", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "root");

    const response = await patchUser(app, cookie, dave.id, { role: "god", password: "short" });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["role", "password"]);
  });

  test("password change keeps only this session", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);
    const current = await login(app, "alice");
    const other = await login(app, "alice");

    const response = await changePassword(
      app,
      { cookie: current },
      {
        currentPassword: TEST_PASSWORD,
        newPassword: "a brand new passphrase",
      },
    );

    expect(response.status).toBe(204);
    expect((await app.request("/auth/me", { headers: { cookie: current } })).status).toBe(200);
    expect((await app.request("/auth/me", { headers: { cookie: other } })).status).toBe(401);
    expect(await login(app, "alice", "a brand new passphrase")).toMatch(/^berth_session=/);
    await expect(login(app, "alice")).rejects.toThrow("failed with 401");
  });

  test("wrong current password gives 403", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    const app = authApp(handle.db);
    const cookie = await login(app, "alice");

    const wrong = await changePassword(
      app,
      { cookie },
      { currentPassword: "nope", newPassword: "a brand new passphrase" },
    );
    const short = await changePassword(
      app,
      { cookie },
      { currentPassword: TEST_PASSWORD, newPassword: "short" },
    );

    expect(wrong.status).toBe(403);
    expect((await errorOf(wrong)).message).toContain("current password is wrong");
    expect(short.status).toBe(422);
    expect(await login(app, "alice")).toMatch(/^berth_session=/);
  });

  test("token cannot change the password", async () => {
    const handle = database();
    await seedUser(handle, "alice", "admin");
    const app = authApp(handle.db);
    const { secret } = await createToken(app, await login(app, "alice"), "admin");

    const response = await changePassword(
      app,
      { authorization: `Bearer ${secret}` },
      {
        currentPassword: TEST_PASSWORD,
        newPassword: "a brand new passphrase",
      },
    );

    expect(response.status).toBe(403);
  });
});

describe.each(ENGINES)("first admin on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("generated password is returned once", async () => {
    const { db } = database();

    const first = await ensureFirstAdmin({ db });
    const second = await ensureFirstAdmin({ db });
    const [admin] = await db.select().from(users);

    expect(first.created).toBe(true);
    const password = first.created ? first.generatedPassword : undefined;
    expect(password).toMatch(/^[\w-]{24}$/);
    expect(second).toEqual({ created: false });
    expect(admin?.role).toBe("admin");
    expect(await verifyPassword(password ?? "", admin?.passwordHash ?? "")).toBe(true);
  });

  test("given password is used and not echoed", async () => {
    const { db } = database();

    const result = await ensureFirstAdmin({ db, password: "from-the-environment" });
    const [admin] = await db.select().from(users);

    expect(result).toEqual({ created: true, username: "admin" });
    expect(await verifyPassword("from-the-environment", admin?.passwordHash ?? "")).toBe(true);
  });

  test("short password is rejected", async () => {
    const { db } = database();

    await expect(ensureFirstAdmin({ db, password: "short" })).rejects.toThrow(
      "BERTH_ADMIN_PASSWORD is 5 characters long: use at least 12",
    );
    expect(await db.select().from(users)).toHaveLength(0);
  });

  test("concurrent starts create one admin", async () => {
    const { db } = database();

    const results = await Promise.all([ensureFirstAdmin({ db }), ensureFirstAdmin({ db })]);

    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await db.select().from(users)).toHaveLength(1);
  });
});
