import {
  claimStages,
  type DatabaseHandle,
  recordPollFailure,
  recordPollSuccess,
  releasePollLeases,
} from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedRegistry, seedStage } from "./support/seed.js";

const T0 = new Date("2026-01-01T00:00:00Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe.each(testEngines())("poll state on $engine", ({ engine }) => {
  let handle: DatabaseHandle;
  let registryId: string;

  beforeAll(async () => {
    handle = await openTestDatabase(engine);
    registryId = await seedRegistry(handle.db, "http://127.0.0.1:5000");
  });
  afterAll(() => handle.close());

  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });

  const claim = (owner: string, now: Date, stageIds?: string[]) =>
    claimStages(handle.db, {
      owner,
      now,
      leaseSeconds: 60,
      ...(stageIds ? { stageIds } : {}),
    });

  test("new stage is due at once and claimed by one owner", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/one" });

    const first = await claim("a", T0, [stageId]);
    const second = await claim("b", T0, [stageId]);

    expect(first.map((stage) => stage.stageId)).toEqual([stageId]);
    expect(first[0]?.repository).toBe("acme/one");
    expect(first[0]?.state).toEqual({
      initialized: false,
      lastTag: null,
      lastDigest: null,
      failureStreak: 0,
    });
    expect(second).toEqual([]);
  });

  test("expired lease is claimed again", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/two" });
    await claim("crashed", T0, [stageId]);

    const during = await claim("b", at(59), [stageId]);
    const after = await claim("b", at(60), [stageId]);

    expect(during).toEqual([]);
    expect(after.map((stage) => stage.stageId)).toEqual([stageId]);
  });

  test("success stores the state and releases the lease", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/three" });
    await claim("a", T0, [stageId]);

    const held = await recordPollSuccess(handle.db, {
      stageId,
      owner: "a",
      lastTag: "v1",
      lastDigest: `sha256:${"a".repeat(64)}`,
      polledAt: at(1),
      nextDueAt: at(300),
    });

    const row = await stateOf(stageId);
    expect(held).toBe(true);
    expect(row?.initialized).toBe(true);
    expect(row?.lastTag).toBe("v1");
    expect(row?.lockedBy).toBeNull();
    expect(row?.nextDueAt).toEqual(at(300));
    expect(await claim("b", at(299))).not.toContainEqual(expect.objectContaining({ stageId }));
  });

  test("write by a poller that lost its lease is rejected", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/four" });
    await claim("slow", T0, [stageId]);
    await claim("fast", at(61), [stageId]);

    const held = await recordPollSuccess(handle.db, {
      stageId,
      owner: "slow",
      lastTag: "v9",
      lastDigest: null,
      polledAt: at(62),
      nextDueAt: at(300),
    });

    const row = await stateOf(stageId);
    expect(held).toBe(false);
    expect(row?.lastTag).toBeNull();
    expect(row?.lockedBy).toBe("fast");
  });

  test("failure stores error, streak and next due time", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/five" });
    await claim("a", T0, [stageId]);

    await recordPollFailure(handle.db, {
      stageId,
      owner: "a",
      error: "registry answered 500",
      failedAt: at(1),
      failureStreak: 1,
      nextDueAt: at(61),
    });

    const row = await stateOf(stageId);
    expect(row?.lastError).toBe("registry answered 500");
    expect(row?.failureStreak).toBe(1);
    expect(row?.lockedUntil).toBeNull();
    expect(await claim("a", at(60))).not.toContainEqual(expect.objectContaining({ stageId }));
    expect(await claim("a", at(61))).toContainEqual(expect.objectContaining({ stageId }));
  });

  test("release keeps the state and frees the lease", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/six" });
    await claim("a", T0, [stageId]);

    await releasePollLeases(handle.db, { stageIds: [stageId], owner: "a", nextDueAt: at(90) });

    const row = await stateOf(stageId);
    expect(row?.lockedBy).toBeNull();
    expect(row?.initialized).toBe(false);
    expect(row?.nextDueAt).toEqual(at(90));
  });
});
