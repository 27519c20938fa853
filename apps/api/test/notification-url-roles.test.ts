import { getProject, getStage } from "@berth/store";
import { describe, expect, test } from "vitest";
import { errorOf, useDatabase } from "./helpers.js";
import { fullApp, seedProject, signedIn } from "./ops-helpers.js";

const HOOK = "https://hooks.example.test/berth";

describe("notification URLs need admin", () => {
  const database = useDatabase("pglite");

  async function setup() {
    const handle = database();
    const ids = await seedProject(handle);
    const app = fullApp(handle);
    const operator = await signedIn(app, handle, "operator");
    const admin = await signedIn(app, handle, "admin");
    return { handle, ids, operator, admin };
  }

  test("operator cannot set a project's", async () => {
    const { handle, ids, operator } = await setup();

    const changed = await operator("PATCH", `/projects/${ids.project.id}`, {
      notificationUrl: HOOK,
    });
    const created = await operator("POST", "/projects", {
      slug: "blog",
      name: "Blog",
      registryId: ids.registry.id,
      repository: "acme/blog",
      notificationUrl: HOOK,
    });

    expect(changed.status).toBe(403);
    expect((await errorOf(changed)).message).toContain("requires admin access");
    expect(created.status).toBe(403);
    expect((await getProject(handle.db, ids.project.id)).notificationUrl).toBeNull();
  });

  test("operator cannot set a stage's", async () => {
    const { handle, ids, operator } = await setup();

    const changed = await operator("PATCH", `/stages/${ids.dev.id}`, { notificationUrl: HOOK });
    const created = await operator("POST", "/stages", {
      projectId: ids.project.id,
      name: "qa",
      policy: { kind: "semver" },
      notificationUrl: HOOK,
    });

    expect(changed.status).toBe(403);
    expect(created.status).toBe(403);
    expect((await getStage(handle.db, ids.dev.id)).notificationUrl).toBeNull();
  });

  test("operator may resend the stored value", async () => {
    const { ids, operator, admin } = await setup();
    await admin("PATCH", `/stages/${ids.dev.id}`, { notificationUrl: HOOK });
    await admin("PATCH", `/projects/${ids.project.id}`, { notificationUrl: HOOK });

    const stage = await operator("PATCH", `/stages/${ids.dev.id}`, {
      notificationUrl: HOOK,
      maxInstances: 2,
    });
    const project = await operator("PATCH", `/projects/${ids.project.id}`, {
      notificationUrl: HOOK,
      name: "Shop 2",
    });
    const cleared = await operator("PATCH", `/stages/${ids.dev.id}`, { notificationUrl: null });

    expect(stage.status).toBe(200);
    expect(project.status).toBe(200);
    expect(cleared.status).toBe(403);
  });

  test("admin sets both", async () => {
    const { handle, ids, admin } = await setup();

    const project = await admin("PATCH", `/projects/${ids.project.id}`, { notificationUrl: HOOK });
    const stage = await admin("PATCH", `/stages/${ids.dev.id}`, { notificationUrl: HOOK });

    expect(project.status).toBe(200);
    expect(stage.status).toBe(200);
    expect((await getStage(handle.db, ids.dev.id)).notificationUrl).toBe(HOOK);
  });
});
