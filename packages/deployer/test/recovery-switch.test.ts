/**
 * Recovery of deploys whose process died after the health gate: in `retire`, or in `proxy`
 * with a running container, the switch is finished. In `proxy` with a dead container the
 * deploy is failed and the old instance keeps the domain. A process death is played by an
 * engine or proxy call that never returns, so the deploy stays `running` in that step until
 * its heartbeat goes stale. A deploy whose `succeeded` write failed is finished the same way,
 * by the sweep of the process that ran it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  claimNextDeploy,
  getDeploy,
  getInstance,
  listDeployInstances,
  listDeployLogs,
  listLiveInstances,
} from "@berth/store";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { deployTag } from "../src/operations.js";
import { createNotifier, type DeployEvent } from "../src/pipeline/notify.js";
import { type PipelineDeps, runDeploy } from "../src/pipeline/run-deploy.js";
import {
  addStage,
  decryptSecret,
  makeWorker,
  pushShop,
  type Rig,
  startRig,
} from "./support/rig.js";

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await pushShop(rig, "1.0");
  await pushShop(rig, "2.0");
});
afterAll(async () => {
  await rig?.stop();
});

/** Returns `target` with `method` replaced by one that never settles, as in a killed process. */
function hangOn<T extends object>(target: T, method: keyof T): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === method) return () => new Promise(() => undefined);
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/** Deploys `1.0`, then starts `2.0` in a pipeline that stops forever at the hanging call. */
async function interruptSecondDeploy(
  stageName: string,
  hang: Partial<PipelineDeps>,
  stageValues: { notificationUrl?: string } = {},
) {
  const stage = await addStage(rig, { name: stageName, ...stageValues });
  await deployTag(rig.handle.db, { stageId: stage.id, tag: "1.0", requestedBy: "test" });
  await makeWorker(rig).runUntilIdle();
  const [old] = await listLiveInstances(rig.handle.db, stage.id);

  await deployTag(rig.handle.db, { stageId: stage.id, tag: "2.0", requestedBy: "test" });
  const claimed = await claimNextDeploy(rig.handle.db, {
    workerId: "killed",
    maxRunning: 4,
    now: new Date(),
  });
  const logger = pino({ level: "silent" });
  const deps: PipelineDeps = {
    db: rig.handle.db,
    docker: rig.docker,
    proxyFor: () => rig.proxy,
    logger,
    now: () => new Date(),
    decryptSecret,
    notifier: createNotifier({ logger }),
    stabilityMs: 500,
    stopTimeoutSeconds: 1,
    fetch,
    ...hang,
  };
  void runDeploy(deps, claimed!);
  return { stage, old: old!, deployId: claimed!.id };
}

/** Returns `target` with `method` replaced by one that rejects, as when its server is down. */
function failOn<T extends object>(target: T, method: keyof T): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === method) {
        return () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:81"));
      }
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

async function waitForStep(deployId: string, step: string): Promise<void> {
  await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).step === step);
}

async function recoverWithNewWorker(deployId: string): Promise<void> {
  const worker = makeWorker(rig, { heartbeatIntervalMs: 100, staleAfterMs: 1500 });
  await worker.start();
  await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).status !== "running");
  await worker.stop();
}

function forwardTarget(domain: string | null): string | undefined {
  const host = rig.npm.proxyHosts().find((h) => domain && h.domain_names.includes(domain));
  return host ? `${host.forward_host}:${host.forward_port}` : undefined;
}

describe("recovery after the health gate", () => {
  test("death in retire finishes the switch", async () => {
    const hanging = hangOn(rig.docker, "stopContainer");
    const { old, deployId } = await interruptSecondDeploy("killed-retire", { docker: hanging });
    await waitForStep(deployId, "retire");

    await recoverWithNewWorker(deployId);

    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
    const [instance] = await listDeployInstances(rig.handle.db, deployId);
    expect(instance?.status).toBe("running");
    expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(true);
    expect(forwardTarget(instance!.domain)).toBe(
      `${instance!.upstreamHost}:${instance!.upstreamPort}`,
    );
    expect((await getInstance(rig.handle.db, old.id)).status).toBe("removed");
    expect(await rig.docker.inspectContainer(old.containerId!)).toBeNull();
    const messages = (await listDeployLogs(rig.handle.db, deployId)).map((e) => e.message);
    expect(messages).toContain(
      `Berth stopped during step retire after the health gate passed; finishing the switch to ${instance!.containerName} on recovery`,
    );
  });

  test("death in retire finishes without the proxy manager", async () => {
    const hanging = hangOn(rig.docker, "stopContainer");
    const { old, deployId } = await interruptSecondDeploy("retire-proxy-down", {
      docker: hanging,
    });
    await waitForStep(deployId, "retire");

    const worker = makeWorker(rig, {
      heartbeatIntervalMs: 100,
      staleAfterMs: 1500,
      proxy: failOn(rig.proxy, "findHostByDomain"),
    });
    await worker.start();
    await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).status !== "running");
    await worker.stop();

    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
    const [instance] = await listDeployInstances(rig.handle.db, deployId);
    expect(instance?.status).toBe("running");
    expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(true);
    expect(forwardTarget(instance!.domain)).toBe(
      `${instance!.upstreamHost}:${instance!.upstreamPort}`,
    );
    expect((await getInstance(rig.handle.db, old.id)).status).toBe("removed");
  });

  test("finished switch sends deploy.succeeded", async () => {
    const receiver = await startReceiver();
    const hanging = hangOn(rig.docker, "stopContainer");
    const { deployId } = await interruptSecondDeploy(
      "notify-retire",
      { docker: hanging },
      { notificationUrl: receiver.url },
    );
    await waitForStep(deployId, "retire");

    await recoverWithNewWorker(deployId);

    const events = receiver.events.filter((event) => event.deploy.id === deployId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: "deploy.succeeded",
      deploy: { project: "shop", stage: "notify-retire", tag: "2.0", status: "succeeded" },
    });
    expect(events[0]?.deploy.digest).toMatch(/^sha256:/);
  });

  test("death in proxy switches to the healthy instance", async () => {
    const hanging = hangOn(rig.proxy, "findHostByDomain");
    const { old, deployId } = await interruptSecondDeploy("switch-proxy", {
      proxyFor: () => hanging,
    });
    await waitForStep(deployId, "proxy");

    await recoverWithNewWorker(deployId);

    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
    const [instance] = await listDeployInstances(rig.handle.db, deployId);
    expect(instance?.status).toBe("running");
    expect(instance?.proxyHostId).toBe(old.proxyHostId);
    expect(forwardTarget(old.domain)).toBe(`${instance!.upstreamHost}:${instance!.upstreamPort}`);
    expect((await getInstance(rig.handle.db, old.id)).status).toBe("removed");
  });

  test("death in proxy with a dead container fails", async () => {
    const receiver = await startReceiver();
    const hanging = hangOn(rig.proxy, "findHostByDomain");
    const { old, deployId } = await interruptSecondDeploy(
      "killed-proxy",
      { proxyFor: () => hanging },
      { notificationUrl: receiver.url },
    );
    await waitForStep(deployId, "proxy");
    const [instance] = await listDeployInstances(rig.handle.db, deployId);
    await rig.docker.stopContainer(instance!.containerId!, 1);

    await recoverWithNewWorker(deployId);

    const deploy = await getDeploy(rig.handle.db, deployId);
    expect(deploy.status).toBe("failed");
    expect(deploy.error).toMatch(/^interrupted: Berth stopped during step proxy/);
    expect(await rig.docker.inspectContainer(instance!.containerId!)).toBeNull();
    expect((await getInstance(rig.handle.db, old.id)).status).toBe("running");
    expect(forwardTarget(old.domain)).toBe(`${old.upstreamHost}:${old.upstreamPort}`);
    const events = receiver.events.filter((event) => event.deploy.id === deployId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: "deploy.failed",
      deploy: { stage: "killed-proxy", tag: "2.0", status: "failed", step: "proxy" },
    });
    expect(events[0]?.deploy.error).toBe(deploy.error);
  });
});

describe("sweep log", () => {
  test("counts finished and failed deploys", async () => {
    const finishing = await interruptSecondDeploy("count-retire", {
      docker: hangOn(rig.docker, "stopContainer"),
    });
    const failing = await interruptSecondDeploy("count-proxy", {
      proxyFor: () => hangOn(rig.proxy, "findHostByDomain"),
    });
    await waitForStep(finishing.deployId, "retire");
    await waitForStep(failing.deployId, "proxy");
    const [instance] = await listDeployInstances(rig.handle.db, failing.deployId);
    await rig.docker.stopContainer(instance!.containerId!, 1);
    const { logger, lines } = recordingLogger();
    const worker = makeWorker(rig, { heartbeatIntervalMs: 100, staleAfterMs: 1500, logger });

    await worker.start();
    try {
      for (const { deployId } of [finishing, failing]) {
        await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).status !== "running");
      }
    } finally {
      await worker.stop();
    }

    const swept = lines.filter((line) => line.msg === "stale deploys ended on recovery");
    const total = (field: "finished" | "failed") =>
      swept.reduce((sum, line) => sum + Number(line[field]), 0);
    expect(total("finished")).toBe(1);
    expect(total("failed")).toBe(1);
  });
});

describe("deploy whose success was not recorded", () => {
  // A trigger rejects the write of `succeeded`, as a database unreachable past the pipeline's
  // retry time would. The write throws, so the deploy stays `running` in step `retire`.
  const rejectSuccess = (stageId: string) => [
    `create function reject_success() returns trigger language plpgsql as $$
     begin
       if new.status = 'succeeded' and new.stage_id = '${stageId}' then
         raise exception 'test: database unreachable';
       end if;
       return new;
     end $$`,
    "create trigger reject_success before update on deploys for each row execute function reject_success()",
  ];
  const allowSuccess = [
    "drop trigger if exists reject_success on deploys",
    "drop function if exists reject_success()",
  ];

  test("sweep of the live process finishes it", async () => {
    const stage = await addStage(rig, { name: "unrecorded" });
    await deployTag(rig.handle.db, { stageId: stage.id, tag: "1.0", requestedBy: "test" });
    await makeWorker(rig).runUntilIdle();
    for (const statement of rejectSuccess(stage.id))
      await rig.handle.db.execute(sql.raw(statement));
    const { logger, messages } = recordingLogger();
    const worker = makeWorker(rig, { heartbeatIntervalMs: 100, staleAfterMs: 1500, logger });

    try {
      const deploy = await deployTag(rig.handle.db, {
        stageId: stage.id,
        tag: "2.0",
        requestedBy: "test",
      });
      await worker.start();
      await waitFor(async () => messages.includes("recording the deploy failed"));
      expect((await getDeploy(rig.handle.db, deploy.id)).step).toBe("retire");
      for (const statement of allowSuccess) await rig.handle.db.execute(sql.raw(statement));
      await waitFor(async () => (await getDeploy(rig.handle.db, deploy.id)).status !== "running");

      expect((await getDeploy(rig.handle.db, deploy.id)).status).toBe("succeeded");
      const [instance] = await listDeployInstances(rig.handle.db, deploy.id);
      expect(instance?.status).toBe("running");
      expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(true);
      expect(forwardTarget(instance!.domain)).toBe(
        `${instance!.upstreamHost}:${instance!.upstreamPort}`,
      );
    } finally {
      await worker.stop();
      for (const statement of allowSuccess) await rig.handle.db.execute(sql.raw(statement));
    }
  });
});

const receivers: Server[] = [];
afterEach(async () => {
  for (const server of receivers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * Starts an HTTP server on 127.0.0.1 that keeps each notification it receives. The server
 * is closed after the test.
 */
async function startReceiver() {
  const events: DeployEvent[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    events.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as DeployEvent);
    response.writeHead(204).end();
  });
  receivers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, events };
}

/** Creates a pino logger at debug level that keeps each line and each line's message. */
function recordingLogger() {
  const lines: Array<{ msg: string; [field: string]: unknown }> = [];
  const messages: string[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write: (text: string) => {
        const line = JSON.parse(text) as { msg: string };
        lines.push(line);
        messages.push(line.msg);
      },
    },
  );
  return { logger, lines, messages };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
