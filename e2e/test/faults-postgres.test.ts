/**
 * Postgres restarts under a running Berth: during a poll cycle and during a deploy. Berth
 * runs on a throwaway cluster this file owns, never on the machine's own server.
 */
import { writeFile } from "node:fs/promises";
import { pushTestImage, startPostgresCluster, type TestPostgresCluster } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDisagreements } from "../src/agreement.js";
import { type ApiClient, signIn } from "../src/api-client.js";
import { listContainers } from "../src/engine.js";
import {
  type Deploy,
  listDeploys,
  listInstances,
  pushShop,
  runningInstances,
  waitForDeploy,
  waitForFinish,
} from "../src/flow.js";
import { sendShopPush } from "../src/gitea-hook.js";
import {
  findLog,
  lockTable,
  parseLog,
  waitForLockWaiter,
  watchHealth,
} from "../src/postgres-faults.js";
import { ADMIN_USER, type FlowRig, startFlowRig } from "../src/rig.js";
import { configureFlow, type FlowSetup, REPOSITORY } from "../src/setup.js";
import { waitFor } from "../src/wait.js";

/** Seconds between poll cycles: the shortest Berth accepts, so the next cycle comes soon. */
const POLL_INTERVAL_SECONDS = 10;

/** pino's warn level. */
const WARN = 40;

/** What postgres.js reports while the server is stopped, stopping or starting. */
const DATABASE_DOWN = /ECONNREFUSED|terminating connection|shutting down|starting up/;

const WRITE_RETRIED = "database unreachable; retrying the write";

const LEASES_RELEASED = "released poll leases left by a check that failed on the database";

let cluster: TestPostgresCluster;
let rig: FlowRig;
let api: ApiClient;
let setup: FlowSetup;

beforeAll(async () => {
  cluster = await startPostgresCluster();
  rig = await startFlowRig({
    postgresUrl: cluster.url,
    pollIntervalSeconds: POLL_INTERVAL_SECONDS,
  });
  api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  setup = await configureFlow(api, rig);
});

afterAll(async () => {
  if (process.env.BERTH_E2E_LOG) {
    await writeFile(process.env.BERTH_E2E_LOG, rig?.output() ?? "");
  }
  await rig?.stop();
  await cluster?.stop();
});

describe("Postgres restarted under Berth", () => {
  it("restart during a poll cycle", async () => {
    await pushShop(rig, "dev-1");
    await waitFor("the first poll of dev to record dev-1", async () =>
      rig.output().includes("first poll recorded the current tag") ? true : undefined,
    );
    await pushShop(rig, "dev-2");

    // The cycle that finds dev-2 blocks on writing its deploy row, so the restart lands
    // in the middle of that cycle, after it claimed its stages.
    const lock = await lockTable(rig.database!.url, "deploys");
    const health = watchHealth(rig.berth.url);
    try {
      await waitForLockWaiter(rig.database!.url, 'insert into "deploys"');
      await cluster.restart({
        whileDown: async () => {
          await waitForHealth(503);
          await waitForLog("claiming deploys failed; retrying");
        },
      });
    } finally {
      await lock.release();
    }
    await waitForHealth(200);
    const { samples, since } = await health.stopWhenHealthy();

    const answers = samples.map(({ status, reachable }) => ({ status, reachable }));
    expect(answers).toContainEqual({ status: 503, reachable: false });
    const afterRecovery = answers.filter((_, i) => (samples[i]?.sentAt ?? 0) >= since);
    expect(afterRecovery.length).toBeGreaterThan(0);
    expect(afterRecovery).toEqual(afterRecovery.map(() => ({ status: 200, reachable: true })));
    const deploy = await waitForDeploy(api, setup.dev.id, "dev-2", undefined, 45_000);
    expect(deploy.status).toBe("succeeded");
    expect(deploy.trigger).toBe("poll");

    // A later cycle would record dev-2 again if the interrupted one had half-stored it.
    await waitForNextCycle();
    const deploysOfTag = (await listDeploys(api, setup.dev.id)).filter((d) => d.tag === "dev-2");
    expect(deploysOfTag).toHaveLength(1);
    expect((await runningInstances(api, setup.dev.id)).map((i) => i.tag)).toEqual(["dev-2"]);
    expect(await findDisagreements(api, rig, [setup.dev.id, setup.prod.id])).toEqual([]);

    const log = parseLog(rig.output());
    const warning = findLog(log, "claiming deploys failed; retrying");
    expect(log[warning]?.level).toBe(WARN);
    expect(log[warning]?.error).toMatch(DATABASE_DOWN);
    expect(findLog(log, "claiming deploys works again", warning)).toBeGreaterThan(warning);
    expect(findLog(log, LEASES_RELEASED)).toBeGreaterThan(warning);
  });

  it("restart during a deploy's health gate", async () => {
    // The test above leaves dev-2 serving. Waiting for it here keeps a failure there from
    // showing up as a wrong verdict below.
    await waitForDeploy(api, setup.dev.id, "dev-2", (s) => s === "succeeded");
    await pushSlowShop("dev-3");
    expect(await hook("dev-3")).toBe(202);
    const running = await waitForDeploy(api, setup.dev.id, "dev-3", (s) => s === "running");
    await waitFor("the dev-3 deploy to reach the health gate", async () => {
      const { deploy } = await api.get<{ deploy: Deploy }>(`/deploys/${running.id}`);
      return deploy.step === "health" ? deploy : undefined;
    });

    // The container serves /health only after its start delay, when Postgres is down, so the
    // deploy records the gate's verdict while the database refuses connections.
    await cluster.restart({ whileDown: () => waitForLog(WRITE_RETRIED) });
    const finished = await waitForFinish(api, running.id, 60_000);

    expect(["succeeded", "failed", "rolled_back"]).toContain(finished.status);
    // The deploy finished by itself, not through the sweep for deploys of a dead process.
    expect(finished.error ?? "").not.toMatch(/^interrupted/);
    const serving = finished.status === "succeeded" ? "dev-3" : "dev-2";
    expect((await runningInstances(api, setup.dev.id)).map((i) => i.tag)).toEqual([serving]);
    const deploysOfTag = (await listDeploys(api, setup.dev.id)).filter((d) => d.tag === "dev-3");
    expect(deploysOfTag).toHaveLength(1);
    const stuck = (await listDeploys(api, setup.dev.id)).filter((d) =>
      ["running", "queued"].includes(d.status),
    );
    expect(stuck).toEqual([]);
    const containers = await listContainers(rig.podman.socketPath, `berth.deploy=${running.id}`);
    const instances = (await listInstances(api, setup.dev.id)).filter(
      (i) => i.deployId === running.id && i.status !== "removed",
    );
    if (finished.status === "succeeded") {
      expect(containers.map((c) => c.State)).toEqual(["running"]);
      expect(instances.map((i) => i.status)).toEqual(["running"]);
    } else {
      expect(containers).toEqual([]);
      expect(instances).toEqual([]);
    }
    expect(await findDisagreements(api, rig, [setup.dev.id, setup.prod.id])).toEqual([]);

    const log = parseLog(rig.output());
    const warning = findLog(log, WRITE_RETRIED);
    expect(warning).toBeGreaterThan(-1);
    expect(log[warning]?.error).toMatch(DATABASE_DOWN);
    expect(findLog(log, "database write succeeded", warning)).toBeGreaterThan(warning);
  });
});

function hook(tag: string): Promise<number> {
  return sendShopPush(rig, setup, tag);
}

/** Pushes an image whose web server starts 3 s after the container, keeping the health gate busy. */
async function pushSlowShop(tag: string): Promise<string> {
  const { digest } = await pushTestImage({
    registry: rig.registry.host,
    repository: REPOSITORY,
    tag,
    content: `shop ${tag}`,
    cmd: ["/bin/busybox", "sh", "-c", "sleep 3; exec /bin/busybox httpd -f -p 8080 -h /www"],
  });
  return digest;
}

/** Waits until Berth has logged `msg`. */
function waitForLog(msg: string): Promise<true> {
  return waitFor(`Berth to log "${msg}"`, async () =>
    findLog(parseLog(rig.output()), msg) === -1 ? undefined : true,
  );
}

/** Waits until Berth's health route returns `status`. */
function waitForHealth(status: 200 | 503): Promise<true> {
  return waitFor(`Berth's health route to return ${status}`, async () => {
    const response = await fetch(`${rig.berth.url}/api/v1/health`);
    await response.body?.cancel();
    return response.status === status ? true : undefined;
  });
}

/** Waits until Berth logs one more finished poll cycle than it has so far. */
function waitForNextCycle(): Promise<true> {
  const cycles = () =>
    parseLog(rig.output()).filter((line) => line.msg === "poll cycle finished").length;
  const before = cycles();
  return waitFor(
    "the next poll cycle to finish",
    async () => (cycles() > before ? true : undefined),
    { timeoutMs: (POLL_INTERVAL_SECONDS + 10) * 1000 },
  );
}
