/**
 * Postgres restarted in the middle of a check: the check cannot store its result or release
 * its leases, so its summary counts the stage as an error, and the next check must poll the
 * stages anyway.
 */
import { createHash } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "@berth/store";
import { startPostgresCluster, type TestPostgresCluster } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createPoller, type RegistryClient } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { seedRegistry, seedStage } from "./support/seed.js";

/** A distinct digest per tag, because a tag on the running digest is no update. */
const digestOf = (tag: string) => `sha256:${createHash("sha256").update(tag).digest("hex")}`;

/** A registry client whose tag list is set by the test and can be held until released. */
function heldRegistry() {
  let tags: string[] = [];
  let hold: Promise<void> | undefined;
  let listed = () => {};
  let release = () => {};
  const client: RegistryClient = {
    async listTags() {
      listed();
      await hold;
      return tags.map((name) => ({ name }));
    },
    getDigest: async (_repository, tag) => digestOf(tag),
    addCreatedAt: async (_repository, listedTags) => ({ tags: listedTags }),
  };
  return {
    client,
    setTags(next: string[]) {
      tags = next;
    },
    /** Holds the next tag lists and resolves `whenListed` once a check requests them. */
    holdNext(): { whenListed: Promise<void>; release(): void } {
      const whenListed = new Promise<void>((resolve) => {
        listed = resolve;
      });
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      return {
        whenListed,
        release() {
          release();
          hold = undefined;
        },
      };
    },
  };
}

describe("Postgres restart during a check", () => {
  let cluster: TestPostgresCluster;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    handle = await openDatabase({ url: cluster.url, maxConnections: 4 });
    await handle.migrate();
  });
  afterAll(async () => {
    await handle?.close();
    await cluster?.stop();
  });

  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });

  test("next check polls the stages again", async () => {
    const registry = heldRegistry();
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    const candidates: string[] = [];
    const poller = createPoller({
      db: handle.db,
      clock,
      random: () => 0,
      registries: () => registry.client,
      onCandidate: (candidate) => {
        candidates.push(candidate.tag);
      },
    });
    const registryId = await seedRegistry(handle.db, "http://127.0.0.1:9");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/restart" });
    registry.setTags(["v1.0.0"]);
    await poller.checkStages([stageId], { trigger: "poll" });

    registry.setTags(["v1.0.0", "v1.1.0"]);
    const held = registry.holdNext();
    const interrupted = poller.checkStages([stageId], { trigger: "poll" });
    await held.whenListed;
    await cluster.restart({
      whileDown: async () => {
        held.release();
        await interrupted;
      },
    });
    expect((await stateOf(stageId))?.lockedBy).not.toBeNull();

    const next = await poller.checkStages([stageId], { trigger: "poll" });

    expect(next).toMatchObject({ stages: 1, candidates: 1, busy: [] });
    expect(candidates).toEqual(["v1.1.0"]);
    const state = await stateOf(stageId);
    expect(state?.lastTag).toBe("v1.1.0");
    expect(state?.lockedBy).toBeNull();
    await poller.stop();
  });

  test("cycle summary counts an aborted image", async () => {
    const registry = heldRegistry();
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    const summaries: object[] = [];
    const poller = createPoller({
      db: handle.db,
      clock,
      random: () => 0,
      registries: () => registry.client,
      logger: {
        debug: () => {},
        info: (fields, message) => {
          if (message === "poll cycle finished") summaries.push(fields);
        },
        warn: () => {},
        error: () => {},
      },
    });
    const registryId = await seedRegistry(handle.db, "http://127.0.0.1:9");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/aborted" });
    registry.setTags(["v1.0.0"]);
    await poller.pollNow(stageId);

    registry.setTags(["v1.0.0", "v1.1.0"]);
    const held = registry.holdNext();
    const interrupted = poller.pollNow(stageId);
    await held.whenListed;
    await cluster.restart({
      whileDown: async () => {
        held.release();
        await interrupted;
      },
    });

    expect(await interrupted).toMatchObject({ stages: 1, candidates: 0, errors: 1 });
    expect(summaries.at(-1)).toMatchObject({ stages: 1, errors: 1 });
    expect(poller.counters().errors).toBe(1);
    await poller.stop();
  });
});
