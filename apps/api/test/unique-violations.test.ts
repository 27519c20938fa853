import { randomBytes } from "node:crypto";
import { createSecrets } from "@berth/store";
import { describe, expect, test } from "vitest";
import { resourceRoutes } from "../src/resources/index.js";
import { authApp, login } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, useDatabase } from "./helpers.js";

const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);

describe.each(ENGINES)("taken names on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const handle = database();
    await handle.db.execute("truncate registries cascade");
    await seedUser(handle, "root", "admin");
    const app = authApp(handle.db);
    app.route("/api/v1", resourceRoutes({ db: handle.db, secrets }));
    const cookie = await login(app, "root");
    const call = (method: string, path: string, body: unknown) =>
      app.request(`/api/v1${path}`, {
        method,
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const registry = { name: "main", type: "oci", url: "http://127.0.0.1:5000" };
    const created = await call("POST", "/registries", registry);
    const registryId = (await json<{ registry: { id: string } }>(created)).registry.id;
    const project = { slug: "shop", name: "Shop", registryId, repository: "acme/shop" };
    const projectResponse = await call("POST", "/projects", project);
    const projectId = (await json<{ project: { id: string } }>(projectResponse)).project.id;
    return { call, registry, project, projectId };
  }

  test("taken project slug names it", async () => {
    const { call, project } = await setup();

    const response = await call("POST", "/projects", { ...project, name: "Shop again" });

    expect(response.status).toBe(409);
    const error = await errorOf(response);
    expect(error.message).toBe("project slug shop is already taken: choose another slug");
    expect(error.details).toEqual({ constraint: "projects_slug_key" });
  });

  test("taken registry name names it", async () => {
    const { call, registry } = await setup();

    const response = await call("POST", "/registries", registry);

    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toBe(
      "registry name main is already taken: choose another name",
    );
  });

  test("taken stage name names it", async () => {
    const { call, projectId } = await setup();
    const stage = { projectId, name: "dev", policy: { kind: "semver" } };
    expect((await call("POST", "/stages", stage)).status).toBe(201);

    const response = await call("POST", "/stages", stage);

    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toBe(
      "stage name dev is already taken in this project: choose another name",
    );
  });
});
