import { randomBytes } from "node:crypto";
import { auditLog, createSecrets, pollState, registries, stageEnv } from "@berth/store";
import { describe, expect, test } from "vitest";
import { resourceRoutes } from "../src/resources/index.js";
import { authApp, login } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, useDatabase } from "./helpers.js";

const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);

type Registry = { id: string; name: string; tokenSet: boolean };
type Project = { id: string; slug: string; registryId: string };
type Stage = {
  id: string;
  name: string;
  env: Array<{ key: string; value: string | null; secret: boolean }>;
};

describe.each(ENGINES)("REST resources on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup(role: "admin" | "operator" | "viewer" = "admin") {
    const handle = database();
    await handle.db.execute("truncate registries cascade");
    await seedUser(handle, "root", role);
    const app = authApp(handle.db);
    app.route("/api/v1", resourceRoutes({ db: handle.db, secrets, version: "1.2.3" }));
    const cookie = await login(app, "root");
    const call = (method: string, path: string, body?: unknown) =>
      app.request(`/api/v1${path}`, {
        method,
        headers: body === undefined ? { cookie } : { cookie, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    return { db: handle.db, app, call };
  }

  async function createRegistry(
    call: Awaited<ReturnType<typeof setup>>["call"],
    name = "gitea-main",
  ) {
    const response = await call("POST", "/registries", {
      name,
      type: "gitea",
      url: "https://gitea.example.test",
      username: "ci",
      token: "gitea-pat-123",
    });
    return (await json<{ registry: Registry }>(response)).registry;
  }

  async function createProject(
    call: Awaited<ReturnType<typeof setup>>["call"],
    registryId: string,
  ) {
    const response = await call("POST", "/projects", {
      slug: "shop",
      name: "Shop",
      registryId,
      repository: "acme/shop",
    });
    return (await json<{ project: Project }>(response)).project;
  }

  test("registry token is write-only", async () => {
    const { db, call } = await setup();

    const created = await call("POST", "/registries", {
      name: "gitea-main",
      type: "gitea",
      url: "https://gitea.example.test",
      token: "gitea-pat-123",
    });
    const text = await created.clone().text();
    const { registry } = await json<{ registry: Registry }>(created);
    const [row] = await db.select().from(registries);

    expect(created.status).toBe(201);
    expect(registry.tokenSet).toBe(true);
    expect(text).not.toContain("gitea-pat-123");
    expect(row?.tokenEncrypted).not.toContain("gitea-pat-123");
    expect(secrets.decrypt(row?.tokenEncrypted ?? "")).toBe("gitea-pat-123");
  });

  test("registry list, get, patch and delete", async () => {
    const { call } = await setup();
    const registry = await createRegistry(call);

    const list = await json<{ registries: Registry[] }>(await call("GET", "/registries"));
    const get = await call("GET", `/registries/${registry.id}`);
    const patched = await call("PATCH", `/registries/${registry.id}`, {
      token: null,
      name: "gitea",
    });
    const removed = await call("DELETE", `/registries/${registry.id}`);
    const after = await call("GET", `/registries/${registry.id}`);

    expect(list.registries.map((item) => item.name)).toEqual(["gitea-main"]);
    expect(get.status).toBe(200);
    expect((await json<{ registry: Registry }>(patched)).registry).toMatchObject({
      name: "gitea",
      tokenSet: false,
    });
    expect(removed.status).toBe(204);
    expect(after.status).toBe(404);
  });

  test("invalid registry gives 422 per field", async () => {
    const { db, call } = await setup();

    const response = await call("POST", "/registries", {
      name: "",
      type: "gitlab",
      url: "ftp://x",
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["name", "type", "url"]);
    expect(await db.select().from(registries)).toHaveLength(0);
  });

  test("duplicate registry name gives 409", async () => {
    const { call } = await setup();
    await createRegistry(call);

    const response = await call("POST", "/registries", {
      name: "gitea-main",
      type: "oci",
      url: "http://127.0.0.1:5000",
    });

    expect(response.status).toBe(409);
    expect((await errorOf(response)).details).toEqual({ constraint: "registries_name_key" });
  });

  test("registry in use cannot be deleted", async () => {
    const { call } = await setup();
    const registry = await createRegistry(call);
    await createProject(call, registry.id);

    const response = await call("DELETE", `/registries/${registry.id}`);

    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toBe(
      `registry ${registry.id} is still used by projects: delete or move them first`,
    );
  });

  test("operator cannot write registries", async () => {
    const { call } = await setup("operator");

    const response = await call("POST", "/registries", {
      name: "x",
      type: "oci",
      url: "http://127.0.0.1:5000",
    });

    expect(response.status).toBe(403);
  });

  test.each(["00000000-0000-4000-8000-000000000000", "nope"])(
    "unknown id %s gives 404",
    async (id) => {
      const { call } = await setup();

      for (const path of [`/registries/${id}`, `/projects/${id}`, `/stages/${id}`]) {
        const response = await call("GET", path);
        expect(response.status).toBe(404);
        expect((await errorOf(response)).message).toContain(id);
      }
    },
  );

  test("project with unknown registry gives 422", async () => {
    const { call } = await setup();

    const response = await call("POST", "/projects", {
      slug: "shop",
      name: "Shop",
      registryId: "00000000-0000-4000-8000-000000000000",
      repository: "acme/shop",
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.[0]?.path).toBe("registryId");
  });

  test("bad project slug and repository give 422", async () => {
    const { call } = await setup();
    const registry = await createRegistry(call);

    const response = await call("POST", "/projects", {
      slug: "Shop!",
      name: "Shop",
      registryId: registry.id,
      repository: "Acme/Shop",
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["slug", "repository"]);
  });

  test("project update and delete are audited", async () => {
    const { db, call } = await setup();
    const project = await createProject(call, (await createRegistry(call)).id);

    const patched = await call("PATCH", `/projects/${project.id}`, { name: "Web shop" });
    const removed = await call("DELETE", `/projects/${project.id}`);
    const actions = (await db.select().from(auditLog).orderBy(auditLog.id)).map(
      (row) => row.action,
    );

    expect(patched.status).toBe(200);
    expect(removed.status).toBe(204);
    expect(actions).toEqual([
      "session.login",
      "registry.create",
      "project.create",
      "project.update",
      "project.delete",
    ]);
  });

  test("stage secret variables are write-only", async () => {
    const { db, call } = await setup();
    const project = await createProject(call, (await createRegistry(call)).id);

    const response = await call("POST", "/stages", {
      projectId: project.id,
      name: "dev",
      policy: { kind: "semver", range: "^1" },
      tagInclude: ["v*"],
      env: [
        { key: "MODE", value: "dev" },
        { key: "DB_PASSWORD", value: "hunter2", secret: true },
      ],
    });
    const text = await response.clone().text();
    const { stage } = await json<{ stage: Stage }>(response);
    const rows = await db.select().from(stageEnv);

    expect(response.status).toBe(201);
    expect(stage.env).toEqual([
      { key: "DB_PASSWORD", value: null, secret: true },
      { key: "MODE", value: "dev", secret: false },
    ]);
    expect(text).not.toContain("hunter2");
    expect(JSON.stringify(rows)).not.toContain("hunter2");
  });

  test("stage list filters by project and patch replaces env", async () => {
    const { call } = await setup();
    const project = await createProject(call, (await createRegistry(call)).id);
    const created = await call("POST", "/stages", {
      projectId: project.id,
      name: "dev",
      policy: { kind: "newest" },
      env: [{ key: "A", value: "1" }],
    });
    const { stage } = await json<{ stage: Stage }>(created);

    const patched = await call("PATCH", `/stages/${stage.id}`, {
      env: [{ key: "B", value: "2" }],
      autoDeploy: true,
    });
    const listed = await json<{ stages: Stage[] }>(
      await call("GET", `/stages?projectId=${project.id}`),
    );
    const removed = await call("DELETE", `/stages/${stage.id}`);

    expect(patched.status).toBe(200);
    expect((await json<{ stage: Stage }>(patched)).stage.env).toEqual([
      { key: "B", value: "2", secret: false },
    ]);
    expect(listed.stages.map((item) => item.name)).toEqual(["dev"]);
    expect(removed.status).toBe(204);
  });

  test("stage shows its poll failure and next attempt", async () => {
    const { db, call } = await setup();
    const project = await createProject(call, (await createRegistry(call)).id);
    const created = await call("POST", "/stages", {
      projectId: project.id,
      name: "dev",
      policy: { kind: "newest" },
    });
    const { stage } = await json<{ stage: Stage & { poll: unknown } }>(created);
    const failedAt = new Date("2026-03-01T10:00:00Z");
    const nextDueAt = new Date("2026-03-01T10:01:30Z");
    await db.insert(pollState).values({
      stageId: stage.id,
      lastPolledAt: failedAt,
      lastError: "registry gitea-main rate-limited GET tags (429): retry after 90 s",
      lastErrorAt: failedAt,
      failureStreak: 2,
      nextDueAt,
    });

    const fetched = await json<{ stage: { poll: unknown } }>(
      await call("GET", `/stages/${stage.id}`),
    );
    const listed = await json<{ stages: Array<{ poll: unknown }> }>(
      await call("GET", `/stages?projectId=${project.id}`),
    );

    expect(stage.poll).toBeNull();
    const expected = {
      lastPolledAt: failedAt.toISOString(),
      lastError: "registry gitea-main rate-limited GET tags (429): retry after 90 s",
      lastErrorAt: failedAt.toISOString(),
      failureStreak: 2,
      nextDueAt: nextDueAt.toISOString(),
    };
    expect(fetched.stage.poll).toEqual(expected);
    expect(listed.stages[0]?.poll).toEqual(expected);
  });

  test("invalid stage gives 422 per field", async () => {
    const { call } = await setup();
    const project = await createProject(call, (await createRegistry(call)).id);

    const response = await call("POST", "/stages", {
      projectId: project.id,
      name: "Dev Stage",
      policy: { kind: "latest" },
      containerPort: 70000,
      volumes: [{ kind: "shared", source: "/srv/data", target: "data" }],
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "name",
      "policy.kind",
      "containerPort",
      "volumes.0.target",
    ]);
  });

  test("stage of unknown project gives 422", async () => {
    const { call } = await setup();

    const response = await call("POST", "/stages", {
      projectId: "00000000-0000-4000-8000-000000000000",
      name: "dev",
      policy: { kind: "newest" },
    });

    expect(response.status).toBe(422);
    expect((await errorOf(response)).details?.issues?.[0]?.path).toBe("projectId");
  });

  test("wrong content type gives 415 and bad JSON 400", async () => {
    const { app } = await setup();
    const cookie = await login(app, "root");

    const form = await app.request("/api/v1/registries", {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "name=x",
    });
    const broken = await app.request("/api/v1/registries", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: "{",
    });

    expect(form.status).toBe(415);
    expect((await errorOf(form)).code).toBe("unsupported_media_type");
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).code).toBe("invalid_json");
  });

  test("viewer reads but cannot write", async () => {
    const { call } = await setup("viewer");

    const list = await call("GET", "/projects");
    const write = await call("POST", "/projects", {});

    expect(list.status).toBe(200);
    expect(write.status).toBe(403);
  });

  test("no session gives 401", async () => {
    const { app } = await setup();

    const response = await app.request("/api/v1/stages");

    expect(response.status).toBe(401);
  });

  test("openapi document describes the resources", async () => {
    const { app } = await setup();

    const response = await app.request("/api/v1/openapi.json");
    const doc = await json<{
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>(response);

    expect(response.status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("1.2.3");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/audit",
      "/auth/login",
      "/auth/logout",
      "/auth/me",
      "/auth/password",
      "/hooks/dockerhub/{secret}",
      "/hooks/forgejo",
      "/hooks/generic/{secret}",
      "/hooks/gitea",
      "/hooks/github",
      "/projects",
      "/projects/{id}",
      "/registries",
      "/registries/{id}",
      "/registries/{id}/tags",
      "/registries/{id}/test",
      "/stages",
      "/stages/{id}",
      "/tokens",
      "/tokens/{id}",
      "/users",
      "/users/{id}",
      "/webhooks",
      "/webhooks/deliveries",
      "/webhooks/{source}/secret",
    ]);
    expect(Object.keys(doc.paths["/stages"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/registries"]?.post?.responses ?? {})).toContain("422");
    expect(Object.keys(doc.components.schemas.Registry?.properties ?? {})).not.toContain("token");
    expect(Object.keys(doc.components.schemas.RegistryCreate?.properties ?? {})).toContain("token");
    expect(Object.keys(doc.components.schemas.StageCreate?.properties ?? {})).toContain("policy");
    expect(JSON.stringify(doc.paths["/auth/login"])).toContain('"password"');
    expect(Object.keys(doc.paths["/hooks/github"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "202", "401", "413"]),
    );
  });
});
