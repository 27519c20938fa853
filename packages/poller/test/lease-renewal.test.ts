/**
 * Two pollers on one database while a cycle runs longer than the lease: the first poller
 * renews its leases, so the second one claims none of its stages and each stage is checked
 * once.
 */
import type { DatabaseHandle } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createPoller, type Poller } from "../src/index.js";
import { type FaultServer, startFaultServer } from "./support/fault-server.js";
import { seedRegistry, seedStage } from "./support/seed.js";

const engine = testEngines().at(-1)!.engine;

/** Lease of both pollers; each tag list takes longer than that. */
const LEASE_SECONDS = 1.5;
const TAG_LIST_DELAY_MS = 2000;

describe(`lease renewal on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let slow: FaultServer;
  const pollers: Poller[] = [];

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    slow = await startFaultServer(registry.url);
  });
  afterAll(async () => {
    for (const poller of pollers) await poller.stop();
    await slow?.stop();
    await registry?.stop();
    await handle?.close();
  });

  const newPoller = () => {
    const poller = createPoller({
      db: handle.db,
      random: () => 0,
      leaseSeconds: LEASE_SECONDS,
      requestTimeoutSeconds: 10,
      // One image at a time, so the cycle lasts two tag lists.
      imageConcurrency: 1,
    });
    pollers.push(poller);
    return poller;
  };

  const tagLists = () => slow.requests.filter((request) => request.includes("/tags/list"));

  test("second poller skips stages a slow cycle holds", async () => {
    const registryId = await seedRegistry(handle.db, slow.url);
    const stageIds: string[] = [];
    for (const repository of ["acme/slow-a", "acme/slow-b"]) {
      await pushTestImage({ registry: registry.host, repository, tag: "v1.0.0" });
      stageIds.push(await seedStage(handle.db, { registryId, repository, name: "dev" }));
    }
    stageIds.push(
      await seedStage(handle.db, { registryId, repository: "acme/slow-a", name: "rel" }),
    );
    slow.setMode("slow-tags", { delayMs: TAG_LIST_DELAY_MS });
    const first = newPoller();
    const second = newPoller();

    const cycle = first.pollNow();
    await waitFor(() => tagLists().length === 1);
    // Past the lease, so without renewal every stage of the cycle would be free again.
    await sleep(LEASE_SECONDS * 1000 + 300);
    const skipped = await second.pollNow();
    const polled = await cycle;

    expect(skipped).toMatchObject({ stages: 0, errors: 0 });
    expect(polled).toMatchObject({ stages: stageIds.length, images: 2, errors: 0 });
    expect(first.counters().leasesLost).toBe(0);
    expect(tagLists()).toHaveLength(2);
    for (const stageId of stageIds) {
      const state = await handle.db.query.pollState.findFirst({
        where: (row, { eq }) => eq(row.stageId, stageId),
      });
      expect(state?.lastTag).toBe("v1.0.0");
      expect(state?.lockedBy).toBeNull();
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}
