import { randomUUID } from "node:crypto";
import { createProject, createRegistry, createStage } from "@berth/store";
import { describe, expect, test } from "vitest";
import { errorOf, useDatabase } from "./helpers.js";
import { fullApp, secrets, signedIn } from "./ops-helpers.js";

describe("unknown ids in request bodies", () => {
  const database = useDatabase("pglite");

  async function setup() {
    const handle = database();
    await handle.db.execute("truncate registries cascade");
    const registry = await createRegistry(handle.db, secrets, {
      name: "local",
      type: "oci",
      url: "http://127.0.0.1:9",
    });
    const project = await createProject(handle.db, {
      slug: "shop",
      name: "Shop",
      registryId: registry.id,
      repository: "acme/shop",
    });
    const stage = await createStage(handle.db, secrets, {
      projectId: project.id,
      name: "dev",
      policy: { kind: "semver" },
    });
    const admin = await signedIn(fullApp(handle), handle, "admin");
    return { admin, stage };
  }

  const cases = [
    {
      name: "token projectId",
      field: "projectId",
      list: "GET /api/v1/projects",
      method: "POST",
      path: () => "/tokens",
      body: (missing: string) => ({ name: "ci", scope: "read", projectId: missing }),
    },
    {
      name: "stage projectId",
      field: "projectId",
      list: "GET /api/v1/projects",
      method: "POST",
      path: () => "/stages",
      body: (missing: string) => ({ projectId: missing, name: "qa", policy: { kind: "semver" } }),
    },
    {
      name: "project registryId",
      field: "registryId",
      list: "GET /api/v1/registries",
      method: "POST",
      path: () => "/projects",
      body: (missing: string) => ({
        slug: "cart",
        name: "Cart",
        registryId: missing,
        repository: "acme/cart",
      }),
    },
    {
      name: "stage promoteFromStageId",
      field: "promoteFromStageId",
      list: "GET /api/v1/stages?projectId=",
      method: "PATCH",
      path: (stageId: string) => `/stages/${stageId}`,
      body: (missing: string) => ({ promoteFromStageId: missing }),
    },
  ];

  test.each(cases)("$name names the id and the list", async (example) => {
    const { admin, stage } = await setup();
    const missing = randomUUID();

    const response = await admin(example.method, example.path(stage.id), example.body(missing));

    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.message).toContain(`${example.field} ${missing} not found`);
    expect(error.message).toContain(example.list);
    expect(error.message).not.toContain("existing row");
    expect(error.details?.issues?.[0]?.path).toBe(example.field);
    expect(error.details?.issues?.[0]?.message).toContain(missing);
  });
});
