import { queueDeploy } from "@berth/store";
import { describe, expect, test } from "vitest";
import { errorOf, json, useDatabase } from "./helpers.js";
import { caller, fullApp, seedProject, signedIn } from "./ops-helpers.js";

type DeployJson = {
  id: string;
  tag: string;
  digest: string | null;
  trigger: string;
  sourceDeployId: string | null;
};
const DIGEST = `sha256:${"b".repeat(64)}`;
const MISSING = "4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60";

describe("redeploy and the trigger filter", () => {
  const database = useDatabase("pglite");

  async function setup() {
    const handle = database();
    const seeded = await seedProject(handle);
    const app = fullApp(handle);
    const admin = await signedIn(app, handle, "admin");
    const source = await queueDeploy(handle.db, {
      stageId: seeded.dev.id,
      tag: "1.0.0",
      digest: DIGEST,
      trigger: "manual",
    });
    return { handle, app, admin, source, ...seeded };
  }

  test("redeploy records its source", async () => {
    const { admin, source } = await setup();

    const response = await admin("POST", `/deploys/${source.id}/redeploy`);

    expect(response.status).toBe(201);
    const { deploy } = await json<{ deploy: DeployJson }>(response);
    expect(deploy.trigger).toBe("redeploy");
    expect(deploy.tag).toBe("1.0.0");
    expect(deploy.digest).toBe(DIGEST);
    expect(deploy.sourceDeployId).toBe(source.id);
  });

  test("redeploy without digest answers 422", async () => {
    const { handle, admin, dev } = await setup();
    const undigested = await queueDeploy(handle.db, {
      stageId: dev.id,
      tag: "1.1.0",
      digest: null,
      trigger: "manual",
    });

    const response = await admin("POST", `/deploys/${undigested.id}/redeploy`);

    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toContain("never resolved a digest");
  });

  test("redeploy access and missing deploy", async () => {
    const { handle, app, admin, source } = await setup();
    const viewer = await signedIn(app, handle, "viewer");

    expect((await caller(app, {})("POST", `/deploys/${source.id}/redeploy`)).status).toBe(401);
    expect((await viewer("POST", `/deploys/${source.id}/redeploy`)).status).toBe(403);
    expect((await admin("POST", `/deploys/${MISSING}/redeploy`)).status).toBe(404);
  });

  test("trigger filter lists matching deploys", async () => {
    const { admin, source } = await setup();
    await admin("POST", `/deploys/${source.id}/redeploy`);

    const response = await admin("GET", "/deploys?trigger=redeploy");

    expect(response.status).toBe(200);
    const { deploys } = await json<{ deploys: DeployJson[] }>(response);
    expect(deploys).toHaveLength(1);
    expect(deploys[0]?.trigger).toBe("redeploy");
  });

  test("unknown trigger answers 422", async () => {
    const { admin } = await setup();

    const response = await admin("GET", "/deploys?trigger=sometimes");

    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.details?.issues?.[0]?.path).toBe("trigger");
    expect(error.message).toContain("expected one of");
  });
});
