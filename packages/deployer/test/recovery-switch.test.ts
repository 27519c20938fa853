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
import { getDeploy, getInstance, listDeployInstances, listDeployLogs } from "@berth/store";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { deployTag } from "../src/operations.js";
import type { DeployEvent } from "../src/pipeline/notify.js";
import type { PipelineDeps } from "../src/pipeline/run-deploy.js";
import { createProxyManagerClient, type ProxyManagerClient } from "../src/proxy/client.js";
import {
  failOn,
  hangOn,
  interruptSecondDeploy as interrupt,
  recordingLogger,
  waitFor,
  waitForStep as waitForDeployStep,
} from "./support/interrupt.js";
import {
  addStage,
  makeWorker,
  pushShop,
  type Rig,
  startRig,
  updateSettingsRow,
} from "./support/rig.js";

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
  await pushShop(rig, "1.0");
  await pushShop(rig, "2.0");
  await pushShop(rig, "3.0");
});
afterAll(async () => {
  await rig?.stop();
});

function interruptSecondDeploy(
  stageName: string,
  hang: Partial<PipelineDeps>,
  stageValues: { notificationUrl?: string } = {},
) {
  return interrupt(rig, stageName, hang, stageValues);
}

async function waitForStep(deployId: string, step: string): Promise<void> {
  await waitForDeployStep(rig, deployId, step);
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

/**
 * Checks that recovery finished the switch: the deploy succeeded, its instance runs behind
 * its proxy host, and the old instance is removed. Returns the deploy's instance.
 */
async function expectSwitchFinished(deployId: string, oldInstanceId: string) {
  expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
  const [instance] = await listDeployInstances(rig.handle.db, deployId);
  expect(instance?.status).toBe("running");
  expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(true);
  expect(forwardTarget(instance!.domain)).toBe(
    `${instance!.upstreamHost}:${instance!.upstreamPort}`,
  );
  expect((await getInstance(rig.handle.db, oldInstanceId)).status).toBe("removed");
  return instance!;
}

describe("recovery after the health gate", () => {
  test("death in retire finishes the switch", async () => {
    const hanging = hangOn(rig.docker, "stopContainer");
    const { old, deployId } = await interruptSecondDeploy("killed-retire", { docker: hanging });
    await waitForStep(deployId, "retire");

    await recoverWithNewWorker(deployId);

    const instance = await expectSwitchFinished(deployId, old.id);
    expect(await rig.docker.inspectContainer(old.containerId!)).toBeNull();
    const messages = (await listDeployLogs(rig.handle.db, deployId)).map((e) => e.message);
    expect(messages).toContain(
      `Berth stopped during step retire after the health gate passed; finishing the switch to ${instance.containerName} on recovery`,
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

    await expectSwitchFinished(deployId, old.id);
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

describe("proxy manager down during recovery", () => {
  const WAITING = "recovery waits for Nginx Proxy Manager";
  const RETRIED = "recovery still waits for Nginx Proxy Manager";

  test.each([
    { outage: "connection refused", start: closedPort },
    { outage: "HTTP 502", start: startBadGateway },
  ])("$outage keeps the deploy until it answers", async ({ outage, start }) => {
    const down = await start();
    const stageName = `wait-${outage.replace(/\W+/g, "-").toLowerCase()}`;
    const { stage, old, deployId } = await interruptSecondDeploy(stageName, {
      proxyFor: () => hangOn(rig.proxy, "findHostByDomain"),
    });
    await waitForStep(deployId, "proxy");
    const [instance] = await listDeployInstances(rig.handle.db, deployId);
    await updateSettingsRow(rig, { npmUrl: down.url });
    const proxy = switchableProxy(
      createProxyManagerClient({ url: down.url, email: rig.npm.email, password: rig.npm.password }),
    );
    const { logger, lines } = recordingLogger();
    const worker = makeWorker(rig, {
      heartbeatIntervalMs: 200,
      staleAfterMs: 1500,
      logger,
      proxy: proxy.client,
    });
    const retries = () => lines.filter((line) => line.msg === RETRIED).length;

    try {
      await worker.start();
      await waitFor(async () => retries() >= 1);
      const later = await deployTag(rig.handle.db, {
        stageId: stage.id,
        tag: "3.0",
        requestedBy: "test",
      });
      const retriesBefore = retries();
      await new Promise((resolve) => setTimeout(resolve, 2000));

      // One sweep every 200 ms retries once: at most 11 in 2 s, and never a busy loop.
      expect(retries() - retriesBefore).toBeGreaterThanOrEqual(3);
      expect(retries() - retriesBefore).toBeLessThanOrEqual(11);
      const waiting = await getDeploy(rig.handle.db, deployId);
      expect(waiting.status).toBe("running");
      expect(waiting.step).toBe("proxy");
      expect((await getDeploy(rig.handle.db, later.id)).status).toBe("queued");
      expect((await getInstance(rig.handle.db, instance!.id)).status).toBe("running");
      expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(true);
      const waitLines = (await listDeployLogs(rig.handle.db, deployId)).filter((entry) =>
        entry.message.startsWith(WAITING),
      );
      expect(waitLines).toHaveLength(1);
      expect(waitLines[0]?.level).toBe("warn");
      expect(waitLines[0]?.message).toContain(
        `${WAITING} at ${down.url} and will retry at the next sweep`,
      );
      const warnings = lines.filter((line) => line.msg.startsWith(WAITING));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.level).toBe(40);

      proxy.use(rig.proxy);
      await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).status !== "running");
      expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
      expect(forwardTarget(old.domain)).toBe(`${instance!.upstreamHost}:${instance!.upstreamPort}`);
      expect((await getInstance(rig.handle.db, old.id)).status).toBe("removed");
      await waitFor(async () => (await getDeploy(rig.handle.db, later.id)).status !== "queued");
      await waitFor(async () => (await getDeploy(rig.handle.db, later.id)).status !== "running");
      expect((await getDeploy(rig.handle.db, later.id)).status).toBe("succeeded");
    } finally {
      await worker.stop();
      await updateSettingsRow(rig, { npmUrl: null });
      await down.stop();
    }
  });

  test("rejected login fails the deploy", async () => {
    const { old, deployId } = await interruptSecondDeploy("wait-rejected", {
      proxyFor: () => hangOn(rig.proxy, "findHostByDomain"),
    });
    await waitForStep(deployId, "proxy");
    const [instance] = await listDeployInstances(rig.handle.db, deployId);
    const proxy = createProxyManagerClient({
      url: rig.npm.url,
      email: rig.npm.email,
      password: "wrong",
    });
    const worker = makeWorker(rig, { heartbeatIntervalMs: 100, staleAfterMs: 1500, proxy });

    await worker.start();
    try {
      await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).status !== "running");
    } finally {
      await worker.stop();
    }

    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("failed");
    expect(await rig.docker.inspectContainer(instance!.containerId!)).toBeNull();
    expect((await getInstance(rig.handle.db, old.id)).status).toBe("running");
    const messages = (await listDeployLogs(rig.handle.db, deployId)).map((e) => e.message);
    expect(messages.some((message) => message.startsWith(WAITING))).toBe(false);
    expect(messages).toContainEqual(
      expect.stringMatching(/^finishing the switch failed: Nginx Proxy Manager rejected the login/),
    );
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

/**
 * Returns a proxy manager client that forwards each call to the client given last to `use`,
 * so a test can bring the proxy manager back while a worker uses the client.
 */
function switchableProxy(initial: ProxyManagerClient) {
  let current = initial;
  const client: ProxyManagerClient = {
    listProxyHosts: () => current.listProxyHosts(),
    createProxyHost: (input) => current.createProxyHost(input),
    updateProxyHost: (id, input) => current.updateProxyHost(id, input),
    deleteProxyHost: (id) => current.deleteProxyHost(id),
    findHostByDomain: (domain) => current.findHostByDomain(domain),
  };
  return {
    client,
    use(next: ProxyManagerClient) {
      current = next;
    },
  };
}

/** Returns the address of a port on 127.0.0.1 that nothing listens on, so connections are refused. */
async function closedPort() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return { url: `http://127.0.0.1:${port}`, stop: async () => undefined };
}

/** Starts a server on 127.0.0.1 that responds 502 to every request, as a reverse proxy does while NPM is down. */
async function startBadGateway() {
  const server = createServer((_request, response) => {
    response.writeHead(502, { "Content-Type": "text/html" }).end("<h1>502 Bad Gateway</h1>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
