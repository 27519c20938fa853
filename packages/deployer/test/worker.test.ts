import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  deploys,
  getDeploy,
  getInstance,
  insertInstance,
  listDeployLogs,
  listLiveInstances,
} from "@berth/store";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployTag } from "../src/operations.js";
import { containerName, LABELS } from "../src/pipeline/naming.js";
import { signBody } from "../src/pipeline/notify.js";
import {
  addStage,
  makeWorker,
  pushShop,
  type Rig,
  startRig,
  updateSettingsRow,
} from "./support/rig.js";

let rig: Rig;
let digest: string;
beforeAll(async () => {
  rig = await startRig();
  digest = await pushShop(rig, "1.0");
});
afterAll(async () => {
  await rig?.stop();
});

/**
 * Leaves a deploy `running` at the health step under a worker that is gone, with a starting
 * instance and its container, as a process killed mid-deploy does.
 */
async function leaveRunning(stageName: string, heartbeatAt: Date) {
  const stage = await addStage(rig, { name: stageName });
  const queued = await deployTag(rig.handle.db, {
    stageId: stage.id,
    tag: "1.0",
    requestedBy: "t",
  });
  await rig.handle.db
    .update(deploys)
    .set({ status: "running", step: "health", claimedBy: "dead", heartbeatAt, digest })
    .where(eq(deploys.id, queued.id));
  const name = containerName({
    project: "shop",
    stage: stageName,
    tag: "1.0",
    deployId: queued.id,
  });
  const instance = await insertInstance(rig.handle.db, {
    stageId: stage.id,
    deployId: queued.id,
    containerName: name,
    tag: "1.0",
    digest,
    status: "starting",
  });
  await rig.docker.pull(`${rig.registry.host}/acme/shop`, digest);
  const containerId = await rig.docker.createContainer({
    name,
    image: `${rig.registry.host}/acme/shop@${digest}`,
    env: [],
    labels: {
      [LABELS.managed]: "true",
      [LABELS.deploy]: queued.id,
      [LABELS.instance]: instance.id,
    },
    binds: [],
    restartPolicy: "no",
  });
  return { deployId: queued.id, instanceId: instance.id, containerId };
}

async function expectFailedOnRecovery(left: Awaited<ReturnType<typeof leaveRunning>>) {
  const deploy = await getDeploy(rig.handle.db, left.deployId);
  expect(deploy.status).toBe("failed");
  expect(deploy.error).toMatch(
    /^interrupted: Berth stopped during step health and the deploy was failed on recovery/,
  );
  const log = await listDeployLogs(rig.handle.db, left.deployId);
  expect(log.at(-1)).toMatchObject({ level: "error", step: "health" });
  expect(await rig.docker.inspectContainer(left.containerId)).toBeNull();
  expect((await getInstance(rig.handle.db, left.instanceId)).status).toBe("removed");
}

describe("start-up recovery", () => {
  test("crash mid-deploy is failed and its container removed", async () => {
    const left = await leaveRunning("crashed", new Date(Date.now() - 10 * 60 * 1000));
    const worker = makeWorker(rig);

    await worker.start();
    await worker.stop();

    await expectFailedOnRecovery(left);
  });

  test("container labelled for another project is not adopted", async () => {
    const stage = await addStage(rig, { name: "foreign" });
    const name = "shop-foreign-labels";
    const instance = await insertInstance(rig.handle.db, {
      stageId: stage.id,
      containerName: name,
      tag: "1.0",
      digest,
      status: "running",
    });
    await rig.docker.pull(`${rig.registry.host}/acme/shop`, digest);
    const containerId = await rig.docker.createContainer({
      name,
      image: `${rig.registry.host}/acme/shop@${digest}`,
      env: [],
      labels: {
        [LABELS.managed]: "true",
        [LABELS.project]: "other",
        [LABELS.instance]: instance.id,
      },
      binds: [],
      restartPolicy: "no",
    });
    const worker = makeWorker(rig);

    await worker.start();
    await worker.stop();

    const after = await getInstance(rig.handle.db, instance.id);
    expect(after.status).toBe("failed");
    expect(after.containerId).toBeNull();
    expect(await rig.docker.inspectContainer(containerId)).not.toBeNull();
    await rig.docker.removeContainer(containerId);
  });
});

describe("periodic sweep", () => {
  test("fails a dead worker's deploy", async () => {
    const timing = { heartbeatIntervalMs: 100, staleAfterMs: 1500 };
    const sweeper = makeWorker(rig, { ...timing, workerId: "sweeper" });
    await sweeper.start();
    const lastHeartbeat = Date.now();
    const left = await leaveRunning("killed", new Date(lastHeartbeat));

    // Fresh heartbeat: the sweeps before the limit leave the deploy alone.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await getDeploy(rig.handle.db, left.deployId)).status).toBe("running");
    await waitFor(
      async () => (await getDeploy(rig.handle.db, left.deployId)).status === "failed",
      timing.staleAfterMs + 10 * timing.heartbeatIntervalMs,
    );
    await sweeper.stop();

    expect(Date.now() - lastHeartbeat).toBeGreaterThanOrEqual(timing.staleAfterMs);
    await expectFailedOnRecovery(left);
  });

  test("removes containers of removed instances only", async () => {
    const stage = await addStage(rig, { name: "orphaned" });
    await rig.docker.pull(`${rig.registry.host}/acme/shop`, digest);
    const labelled = async (name: string, instanceId: string) =>
      rig.docker.createContainer({
        name,
        image: `${rig.registry.host}/acme/shop@${digest}`,
        env: [],
        labels: { [LABELS.managed]: "true", [LABELS.instance]: instanceId },
        binds: [],
        restartPolicy: "no",
      });
    const removed = await insertInstance(rig.handle.db, {
      stageId: stage.id,
      containerName: "shop-orphaned-removed",
      tag: "1.0",
      digest,
      status: "removed",
    });
    const orphan = await labelled("shop-orphaned-removed", removed.id);
    // An instance id this database does not know: another installation's container.
    const foreign = await labelled("shop-orphaned-foreign", "00000000-0000-4000-8000-000000000001");
    const sweeper = makeWorker(rig, { heartbeatIntervalMs: 100, staleAfterMs: 1500 });

    await sweeper.start();
    await waitFor(async () => (await rig.docker.inspectContainer(orphan)) === null);
    await sweeper.stop();

    expect(await rig.docker.inspectContainer(orphan)).toBeNull();
    expect(await rig.docker.inspectContainer(foreign)).not.toBeNull();
    await rig.docker.removeContainer(foreign);
  });

  test("rejects a limit under 3 heartbeats", () => {
    expect(() => makeWorker(rig, { heartbeatIntervalMs: 1000, staleAfterMs: 2000 })).toThrow(
      "createDeployWorker: staleAfterMs must be at least 3 heartbeat intervals (3000 ms), got 2000: raise staleAfterMs or shorten heartbeatIntervalMs",
    );
  });
});

describe("worker lifecycle", () => {
  test("heartbeat keeps other workers off", async () => {
    const stage = await addStage(rig, { name: "longgate" });
    await pushShop(rig, "2.0", "broken");
    const queued = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "2.0",
      requestedBy: "t",
    });
    const timing = { heartbeatIntervalMs: 50, staleAfterMs: 400 };
    const running = makeWorker(rig, { ...timing, workerId: "busy" }).runUntilIdle();
    await waitFor(async () => (await getDeploy(rig.handle.db, queued.id)).step === "health");
    await new Promise((resolve) => setTimeout(resolve, 800));
    const starting = makeWorker(rig, { ...timing, workerId: "starting" });

    // The other worker sweeps every 50 ms for the rest of the health gate.
    await starting.start();
    await running;
    await starting.stop();

    const deploy = await getDeploy(rig.handle.db, queued.id);
    expect(deploy.status).toBe("rolled_back");
    expect(deploy.error).toMatch(/^health gate timed out/);
  });

  test("stop lets a running deploy finish", async () => {
    const stage = await addStage(rig, { name: "graceful" });
    const worker = makeWorker(rig);
    await worker.start();
    const queued = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "1.0",
      requestedBy: "t",
    });
    worker.wake();
    await waitFor(async () => (await getDeploy(rig.handle.db, queued.id)).status === "running");

    await worker.stop(30_000);

    expect((await getDeploy(rig.handle.db, queued.id)).status).toBe("succeeded");
  });

  test("rejects a concurrency that is not a positive integer", () => {
    expect(() => makeWorker(rig, { concurrency: 0 })).toThrow(
      "createDeployWorker: concurrency must be a positive integer, got 0",
    );
  });
});

describe("notifications", () => {
  let server: Server;
  let received: Array<{ signature: string | undefined; body: string }>;
  let failFirst = true;

  beforeAll(async () => {
    received = [];
    server = createServer(async (request, response) => {
      received.push({
        signature: request.headers["x-berth-signature-256"] as string | undefined,
        body: await readBody(request),
      });
      response.writeHead(failFirst ? 500 : 204).end();
      failFirst = false;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await updateSettingsRow(rig, { notificationUrl: null, notificationSecretEncrypted: null });
  });

  test("signed event is retried after a failure", async () => {
    const port = (server.address() as AddressInfo).port;
    await updateSettingsRow(rig, {
      notificationUrl: `http://127.0.0.1:${port}/hook`,
      notificationSecretEncrypted: "enc:s3cret",
    });
    const stage = await addStage(rig, { name: "notify" });
    await deployTag(rig.handle.db, { stageId: stage.id, tag: "1.0", requestedBy: "t" });
    const worker = makeWorker(rig);

    await worker.runUntilIdle();
    await worker.stop();

    expect(received).toHaveLength(2);
    const last = received[1]!;
    expect(last.signature).toBe(signBody("s3cret", last.body));
    expect(JSON.parse(last.body)).toMatchObject({
      event: "deploy.succeeded",
      deploy: { project: "shop", stage: "notify", tag: "1.0", status: "succeeded", digest },
    });
  });
});

describe("deploy log", () => {
  test("lists only lines after a given id", async () => {
    const stage = await addStage(rig, { name: "logs" });
    const queued = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "1.0",
      requestedBy: "t",
    });
    await makeWorker(rig).runUntilIdle();

    const all = await listDeployLogs(rig.handle.db, queued.id);
    const tail = await listDeployLogs(rig.handle.db, queued.id, all[1]!.id);

    expect(tail).toEqual(all.slice(2));
    expect(all.at(-1)?.message).toBe("deploy succeeded");
    expect((await listLiveInstances(rig.handle.db, stage.id))[0]?.tag).toBe("1.0");
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
