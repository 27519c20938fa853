/**
 * Recovery on several Berth processes sharing one database. Each stale deploy is claimed
 * before it is recovered, so only one process acts on it. Its heartbeat stays fresh while
 * recovery works, so no other process takes it for dead meanwhile.
 */
import { type DatabaseHandle, getDeploy, listDeployLogs, openDatabase } from "@berth/store";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DockerClient } from "../src/docker/types.js";
import { type SweepResult, sweepStaleDeploys } from "../src/recovery.js";
import {
  hangOn,
  interruptSecondDeploy,
  pipelineDeps,
  waitFor,
  waitForStep,
} from "./support/interrupt.js";
import { pushShop, type Rig, startRig } from "./support/rig.js";

// Several processes on one database is the case under test: PGlite has one connection, so
// these tests need the Postgres server the test rig runs.
process.env.TEST_DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/test";

const STALE_AFTER_MS = 1000;

let rig: Rig;
let second: DatabaseHandle;
beforeAll(async () => {
  rig = await startRig("postgres");
  second = await openDatabase({ url: rig.handle.location, maxConnections: 4 });
  await pushShop(rig, "1.0");
  await pushShop(rig, "2.0");
});
afterAll(async () => {
  await second?.close();
  await rig?.stop();
});

/** Sweeps as the process `workerId` would, on its own connection pool `db`. */
function sweepAs(
  workerId: string,
  db: DatabaseHandle["db"],
  docker: DockerClient = rig.docker,
): Promise<SweepResult> {
  return sweepStaleDeploys(pipelineDeps(rig, { db, docker }), {
    workerId,
    staleAfterMs: STALE_AFTER_MS,
    heartbeatIntervalMs: 100,
    ownDeploys: new Set(),
  });
}

/** Returns `docker` with `stopContainer` delayed by `delayMs`, as an engine slow to stop. */
function slowStop(docker: DockerClient, delayMs: number): DockerClient {
  return new Proxy(docker, {
    get(object, property) {
      if (property === "stopContainer") {
        return async (id: string, timeoutSeconds: number) => {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          return object.stopContainer(id, timeoutSeconds);
        };
      }
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

async function recoveryLines(deployId: string): Promise<string[]> {
  return (await listDeployLogs(rig.handle.db, deployId))
    .map((entry) => entry.message)
    .filter((message) => message.startsWith("Berth stopped during step"));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("recovery claims", () => {
  test("two racing sweeps act once per deploy", async () => {
    const killed = [
      await interruptSecondDeploy(rig, "race-retire-1", {
        docker: hangOn(rig.docker, "stopContainer"),
      }),
      await interruptSecondDeploy(rig, "race-retire-2", {
        docker: hangOn(rig.docker, "stopContainer"),
      }),
      await interruptSecondDeploy(rig, "race-proxy", {
        proxyFor: () => hangOn(rig.proxy, "findHostByDomain"),
      }),
    ];
    await waitForStep(rig, killed[0]!.deployId, "retire");
    await waitForStep(rig, killed[1]!.deployId, "retire");
    await waitForStep(rig, killed[2]!.deployId, "proxy");
    await sleep(STALE_AFTER_MS + 200);

    const results = await Promise.all([
      sweepAs("process-a", rig.handle.db),
      sweepAs("process-b", second.db),
    ]);

    const total = (field: keyof SweepResult) =>
      results.reduce((sum, result) => sum + result[field], 0);
    expect(total("finished")).toBe(3);
    expect(total("failed")).toBe(0);
    for (const { deployId } of killed) {
      expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
      expect(await recoveryLines(deployId)).toHaveLength(1);
    }
  });

  test("heartbeat keeps a second sweep off a slow recovery", async () => {
    const { deployId } = await interruptSecondDeploy(rig, "slow-retire", {
      docker: hangOn(rig.docker, "stopContainer"),
    });
    await waitForStep(rig, deployId, "retire");
    await sleep(STALE_AFTER_MS + 200);

    // Stopping the old instance takes twice the stale limit.
    const first = sweepAs("process-a", rig.handle.db, slowStop(rig.docker, 2 * STALE_AFTER_MS));
    await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).claimedBy === "process-a");
    await sleep(STALE_AFTER_MS + 200);
    const during = await sweepAs("process-b", second.db);

    expect(during).toEqual({ finished: 0, failed: 0, waiting: 0 });
    expect(await first).toEqual({ finished: 1, failed: 0, waiting: 0 });
    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
    expect(await recoveryLines(deployId)).toHaveLength(1);
  });
});
