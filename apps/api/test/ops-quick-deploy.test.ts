import { deploys, projects } from "@berth/store";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ENGINES, errorOf, json, useDatabase } from "./helpers.js";
import { fullApp, seedProject, signedIn } from "./ops-helpers.js";

describe.each(ENGINES)("quick deploy on $engine", ({ engine }) => {
  const database = useDatabase(engine);
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
    await pushTestImage({ registry: registry.host, repository: "acme/quick", tag: "1.0.0" });
    await pushTestImage({ registry: registry.host, repository: "acme/quick", tag: "1.1.0" });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  async function setup() {
    const handle = database();
    await seedProject(handle, registry.url, "acme/other");
    const app = fullApp(handle);
    return { handle, app, admin: await signedIn(app, handle, "admin") };
  }

  test("inspect lists the image's tags", async () => {
    const { admin } = await setup();
    const response = await admin("POST", "/quick-deploy/inspect", {
      image: `${registry.host}/acme/quick:1.1.0`,
    });
    expect(response.status).toBe(200);
    const body = await json<{ tags: string[]; tag: string; exposedPorts: unknown; note: string }>(
      response,
    );
    expect(body.tags.sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(body.tag).toBe("1.1.0");
    expect(body.exposedPorts).toBeNull();
    expect(body.note).toContain("no Docker engine");
  });

  test("unknown registry and bad references are 422", async () => {
    const { handle, admin } = await setup();
    const unknown = await admin("POST", "/quick-deploy/inspect", { image: "ghcr.io/acme/app:1" });
    expect(unknown.status).toBe(422);
    expect((await errorOf(unknown)).message).toContain("no registry is configured for ghcr.io");
    const malformed = await admin("POST", "/quick-deploy", { image: "UPPER CASE", slug: "x" });
    expect(malformed.status).toBe(422);
    expect((await errorOf(malformed)).details?.issues?.[0]?.path).toBe("image");
    const untagged = await admin("POST", "/quick-deploy", {
      image: `${registry.host}/acme/quick`,
      slug: "quick",
    });
    expect((await errorOf(untagged)).message).toContain("has no tag");
    expect(await handle.db.select().from(projects)).toHaveLength(1);
  });

  test("creates a project, a stage and a deploy", async () => {
    const { handle, app, admin } = await setup();
    const viewer = await signedIn(app, handle, "viewer");
    const body = { image: `${registry.host}/acme/quick:1.0.0`, slug: "quick", containerPort: 8080 };
    expect((await viewer("POST", "/quick-deploy", body)).status).toBe(403);

    const response = await admin("POST", "/quick-deploy", body);
    expect(response.status).toBe(201);
    const created = await json<{ stageId: string; deploy: { tag: string; status: string } }>(
      response,
    );
    expect(created.deploy).toMatchObject({ tag: "1.0.0", status: "queued" });
    expect(await handle.db.select().from(deploys)).toHaveLength(1);

    const again = await admin("POST", "/quick-deploy", body);
    expect(again.status).toBe(409);
    expect(await handle.db.select().from(deploys)).toHaveLength(1);
  });
});
