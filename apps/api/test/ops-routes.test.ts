import { auditLog, deploys, insertInstance, queueDeploy } from "@berth/store";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { ENGINES, errorOf, json, useDatabase } from "./helpers.js";
import { caller, fullApp, seedProject, signedIn, tokenCaller } from "./ops-helpers.js";

type DeployJson = { id: string; status: string; tag: string; stageId: string; trigger: string };
const DIGEST = `sha256:${"a".repeat(64)}`;

describe.each(ENGINES)("deploy, instance and settings routes on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const handle = database();
    const seeded = await seedProject(handle);
    let wakes = 0;
    const app = fullApp(handle, {
      wake: () => {
        wakes += 1;
      },
    });
    const admin = await signedIn(app, handle, "admin");
    return { handle, app, admin, ...seeded, wakes: () => wakes };
  }

  test("rejects anonymous and viewer changes", async () => {
    const { handle, app, dev } = await setup();
    const anonymous = caller(app, {});
    expect((await anonymous("GET", "/deploys")).status).toBe(401);
    expect((await errorOf(await anonymous("GET", "/instances"))).code).toBe("unauthorized");

    const viewer = await signedIn(app, handle, "viewer");
    expect((await viewer("GET", "/deploys")).status).toBe(200);
    const refused = await viewer("POST", "/deploys", { stageId: dev.id, tag: "1.0.0" });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toContain("requires operator access");
    expect(await handle.db.select().from(deploys)).toHaveLength(0);
  });

  test("token scope limits deploys", async () => {
    const { app, admin, dev } = await setup();
    const reader = await tokenCaller(app, admin, "read");
    const deployer = await tokenCaller(app, admin, "deploy");

    expect((await reader("POST", "/deploys", { stageId: dev.id, tag: "1.0.0" })).status).toBe(403);
    const created = await deployer("POST", "/deploys", { stageId: dev.id, tag: "1.0.0" });
    expect(created.status).toBe(201);
    const { deploy } = await json<{ deploy: DeployJson }>(created);
    expect(deploy).toMatchObject({ tag: "1.0.0", status: "queued", trigger: "manual" });
  });

  test("manual deploy is queued and audited", async () => {
    const { handle, admin, dev, wakes } = await setup();
    const response = await admin("POST", "/deploys", { stageId: dev.id, tag: "1.2.0" });
    expect(response.status).toBe(201);
    const { deploy } = await json<{ deploy: DeployJson }>(response);
    expect(wakes()).toBe(1);

    const entries = await handle.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "deploy.create"));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ targetId: deploy.id, actorName: "admin" });
  });

  test("bad deploy input is rejected", async () => {
    const { handle, admin, dev } = await setup();
    const badTag = await admin("POST", "/deploys", { stageId: dev.id, tag: "no spaces" });
    expect(badTag.status).toBe(422);
    expect((await errorOf(badTag)).message).toContain('invalid tag "no spaces"');

    const badStage = await admin("POST", "/deploys", { stageId: "nope", tag: "1.0.0" });
    expect(badStage.status).toBe(422);
    expect((await errorOf(badStage)).details?.issues?.[0]?.path).toBe("stageId");

    const badDigest = await admin("POST", "/deploys", {
      stageId: dev.id,
      tag: "1",
      digest: "md5:x",
    });
    expect((await errorOf(badDigest)).message).toContain('invalid digest "md5:x"');
    expect(await handle.db.select().from(deploys)).toHaveLength(0);
  });

  test("lists deploys with filters and paging", async () => {
    const { handle, admin, dev, prod, project } = await setup();
    for (const tag of ["1", "2", "3"]) {
      await queueDeploy(handle.db, { stageId: dev.id, tag, digest: DIGEST, trigger: "manual" });
    }
    await queueDeploy(handle.db, { stageId: prod.id, tag: "9", digest: DIGEST, trigger: "manual" });

    const first = await json<{ deploys: DeployJson[]; nextCursor: string | null }>(
      await admin("GET", `/deploys?stageId=${dev.id}&limit=2`),
    );
    expect(first.deploys.map((deploy) => deploy.tag)).toEqual(["3", "2"]);
    expect(first.nextCursor).not.toBeNull();
    const second = await json<{ deploys: DeployJson[]; nextCursor: string | null }>(
      await admin("GET", `/deploys?stageId=${dev.id}&limit=2&before=${first.nextCursor}`),
    );
    expect(second.deploys.map((deploy) => deploy.tag)).toEqual(["1"]);
    expect(second.nextCursor).toBeNull();

    const byProject = await json<{ deploys: DeployJson[] }>(
      await admin("GET", `/deploys?projectId=${project.id}&status=queued`),
    );
    expect(byProject.deploys).toHaveLength(4);
  });

  test("bad list filters are rejected", async () => {
    const { admin } = await setup();
    const badStatus = await admin("GET", "/deploys?status=done");
    expect(badStatus.status).toBe(422);
    expect((await errorOf(badStatus)).details?.issues?.[0]?.path).toBe("status");
    const badLimit = await admin("GET", "/deploys?limit=0");
    expect((await errorOf(badLimit)).details?.issues?.[0]?.message).toContain("1 to 200");
    const badCursor = await admin("GET", "/deploys?before=garbage");
    expect(badCursor.status).toBe(422);
    expect((await errorOf(badCursor)).message).toContain('cursor "garbage"');
  });

  test("gets deploys and logs by id", async () => {
    const { admin, dev } = await setup();
    const { deploy } = await json<{ deploy: DeployJson }>(
      await admin("POST", "/deploys", { stageId: dev.id, tag: "1.0.0" }),
    );
    expect((await admin("GET", `/deploys/${deploy.id}`)).status).toBe(200);
    expect(await json(await admin("GET", `/deploys/${deploy.id}/log`))).toEqual({ entries: [] });

    const unknown = await admin("GET", "/deploys/4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60");
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("not_found");
    expect((await admin("GET", "/deploys/42")).status).toBe(404);
  });

  test("approve, reject and cancel check state", async () => {
    const { handle, admin, prod } = await setup();
    const waiting = () =>
      queueDeploy(handle.db, {
        stageId: prod.id,
        tag: `t${Math.random().toString(36).slice(2, 8)}`,
        digest: DIGEST,
        trigger: "manual",
        status: "pending_approval",
      });

    const approved = await admin("POST", `/deploys/${(await waiting()).id}/approve`);
    expect((await json<{ deploy: DeployJson }>(approved)).deploy.status).toBe("queued");

    const rejectedId = (await waiting()).id;
    const rejected = await admin("POST", `/deploys/${rejectedId}/reject`);
    expect((await json<{ deploy: DeployJson }>(rejected)).deploy.status).toBe("rejected");
    const again = await admin("POST", `/deploys/${rejectedId}/approve`);
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toContain("it is rejected, not pending_approval");

    const cancelledId = (await waiting()).id;
    expect((await admin("POST", `/deploys/${cancelledId}/cancel`)).status).toBe(200);
    const twice = await admin("POST", `/deploys/${cancelledId}/cancel`);
    expect(twice.status).toBe(409);
    expect((await errorOf(twice)).message).toContain("it is cancelled");
  });

  test("rollback and promote check their source", async () => {
    const { handle, admin, dev, prod } = await setup();
    const source = await queueDeploy(handle.db, {
      stageId: dev.id,
      tag: "1.0.0",
      digest: DIGEST,
      trigger: "manual",
    });
    const notYet = await admin("POST", `/deploys/${source.id}/rollback`);
    expect(notYet.status).toBe(422);
    expect((await errorOf(notYet)).message).toContain("roll back only to a succeeded deploy");

    await handle.db.update(deploys).set({ status: "succeeded" }).where(eq(deploys.id, source.id));
    const rolledBack = await admin("POST", `/deploys/${source.id}/rollback`);
    expect(rolledBack.status).toBe(201);
    expect((await json<{ deploy: DeployJson }>(rolledBack)).deploy.trigger).toBe("rollback");

    const nothingRuns = await admin("POST", "/deploys/promote", { stageId: prod.id });
    expect(nothingRuns.status).toBe(409);
    await insertInstance(handle.db, {
      stageId: dev.id,
      deployId: source.id,
      containerName: "shop-dev-1",
      tag: "1.0.0",
      digest: DIGEST,
      status: "running",
    });
    const promoted = await admin("POST", "/deploys/promote", { stageId: prod.id });
    expect(promoted.status).toBe(201);
    const { deploy } = await json<{ deploy: DeployJson }>(promoted);
    expect(deploy).toMatchObject({ stageId: prod.id, tag: "1.0.0", trigger: "promote" });
  });

  test("instance operations need an engine", async () => {
    const { handle, admin, dev } = await setup();
    const instance = await insertInstance(handle.db, {
      stageId: dev.id,
      containerName: "shop-dev-2",
      tag: "2",
      digest: DIGEST,
      status: "running",
    });
    const list = await json<{ instances: Array<{ id: string }> }>(
      await admin("GET", `/instances?stageId=${dev.id}&status=running`),
    );
    expect(list.instances.map((row) => row.id)).toEqual([instance.id]);
    expect((await admin("GET", "/instances?status=gone")).status).toBe(422);

    const stop = await admin("POST", `/instances/${instance.id}/stop`);
    expect(stop.status).toBe(503);
    expect((await errorOf(stop)).message).toContain("BERTH_DOCKER_HOST");
    const after = await json<{ instance: { status: string } }>(
      await admin("GET", `/instances/${instance.id}`),
    );
    expect(after.instance.status).toBe("running");
    expect((await admin("POST", "/instances/nope/restart")).status).toBe(404);
  });

  test("settings secrets are write-only", async () => {
    const { handle, app, admin } = await setup();
    const operator = await signedIn(app, handle, "operator");
    expect((await operator("PATCH", "/settings", { baseDomain: "x.test" })).status).toBe(403);

    const changed = await admin("PATCH", "/settings", {
      npmUrl: "http://127.0.0.1:81",
      npmPassword: "hunter2-hunter2",
      pollIntervalSeconds: 120,
    });
    expect(changed.status).toBe(200);
    const text = await changed.text();
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text).settings).toMatchObject({
      npmPasswordSet: true,
      pollIntervalSeconds: 120,
    });
    const read = await json<{ settings: Record<string, unknown> }>(
      await operator("GET", "/settings"),
    );
    expect(read.settings).toMatchObject({ npmUrl: "http://127.0.0.1:81", npmPasswordSet: true });

    const bad = await admin("PATCH", "/settings", { pollIntervalSeconds: -5, npmUrl: "ftp://x" });
    expect(bad.status).toBe(422);
    const paths = (await errorOf(bad)).details?.issues?.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["pollIntervalSeconds", "npmUrl"]));
    const unknown = await admin("PATCH", "/settings", { npmPasswordd: "typo" });
    expect(unknown.status).toBe(422);
    const still = await json<{ settings: Record<string, unknown> }>(
      await admin("GET", "/settings"),
    );
    expect(still.settings.pollIntervalSeconds).toBe(120);
  });

  test("out-of-range settings numbers are rejected", async () => {
    const { admin } = await setup();
    const cases = [
      { field: "pollIntervalSeconds", value: 5, range: "from 10 to 86400" },
      { field: "pollIntervalSeconds", value: 86401, range: "from 10 to 86400" },
      { field: "healthTimeoutSeconds", value: 4, range: "from 5 to 3600" },
      { field: "pollJitterSeconds", value: -1, range: "from 0 to 3600" },
      { field: "deployConcurrency", value: 65, range: "from 1 to 64" },
    ];
    for (const { field, value, range } of cases) {
      const response = await admin("PATCH", "/settings", { [field]: value });
      expect(response.status, `${field}=${value}`).toBe(422);
      const issues = (await errorOf(response)).details?.issues ?? [];
      expect(issues).toEqual([
        { path: field, message: expect.stringContaining(`${range}, got ${value}`) },
      ]);
    }

    const before = await json<{ settings: Record<string, unknown> }>(
      await admin("GET", "/settings"),
    );
    expect(before.settings).toMatchObject({ pollIntervalSeconds: 300, healthTimeoutSeconds: 120 });

    const lowest = await admin("PATCH", "/settings", {
      pollIntervalSeconds: 10,
      healthTimeoutSeconds: 5,
      pollJitterSeconds: 0,
    });
    expect(lowest.status).toBe(200);
    expect((await json<{ settings: Record<string, unknown> }>(lowest)).settings).toMatchObject({
      pollIntervalSeconds: 10,
      healthTimeoutSeconds: 5,
      pollJitterSeconds: 0,
    });
  });

  test("OpenAPI document lists every route", async () => {
    const { app } = await setup();
    const document = await json<{ paths: Record<string, unknown> }>(
      await app.request("/api/v1/openapi.json"),
    );
    for (const path of [
      "/registries",
      "/deploys",
      "/deploys/{id}/approve",
      "/instances/{id}/stop",
      "/settings",
      "/events",
      "/deploys/{id}/logs",
      "/auth/login",
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
  });
});
