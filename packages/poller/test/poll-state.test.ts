import {
  claimStages,
  type DatabaseHandle,
  recordFirstPolls,
  recordPollFailure,
  recordPollSuccess,
  recordUnchangedPolls,
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

    const leaseHeld = await recordPollSuccess(handle.db, {
      stageId,
      owner: "a",
      lastTag: "v1",
      lastDigest: `sha256:${"a".repeat(64)}`,
      polledAt: at(1),
      nextDueAt: at(300),
    });

    const row = await stateOf(stageId);
    expect(leaseHeld).toBe(true);
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

    const leaseHeld = await recordPollSuccess(handle.db, {
      stageId,
      owner: "slow",
      lastTag: "v9",
      lastDigest: null,
      polledAt: at(62),
      nextDueAt: at(300),
    });

    const row = await stateOf(stageId);
    expect(leaseHeld).toBe(false);
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

describe.each(testEngines())("batched poll writes on $engine", ({ engine }) => {
  let handle: DatabaseHandle;
  let registryId: string;

  beforeAll(async () => {
    handle = await openTestDatabase(engine);
    registryId = await seedRegistry(handle.db, "http://127.0.0.1:5000");
  });
  afterAll(() => handle.close());

  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });

  test("first polls store each stage's own tag", async () => {
    const ids = await Promise.all(
      ["a", "b", "c"].map((name) =>
        seedStage(handle.db, { registryId, repository: `acme/${name}` }),
      ),
    );
    await claimStages(handle.db, { owner: "a", now: T0, leaseSeconds: 60, stageIds: ids });

    const written = await recordFirstPolls(handle.db, {
      owner: "a",
      polledAt: at(1),
      nextDueAt: at(300),
      stages: [
        { stageId: ids[0]!, lastTag: "v1", lastDigest: `sha256:${"1".repeat(64)}` },
        { stageId: ids[1]!, lastTag: null, lastDigest: null },
        { stageId: ids[2]!, lastTag: "v3", lastDigest: `sha256:${"3".repeat(64)}` },
      ],
    });

    expect(written.sort()).toEqual([...ids].sort());
    const states = await Promise.all(ids.map(stateOf));
    expect(states.map((state) => state?.lastTag)).toEqual(["v1", null, "v3"]);
    expect(states.map((state) => state?.lastDigest?.slice(7, 8) ?? null)).toEqual(["1", null, "3"]);
    expect(states.every((state) => state?.initialized && state.lockedBy === null)).toBe(true);
  });

  test("unchanged polls skip stages leased to another owner", async () => {
    const mine = await seedStage(handle.db, { registryId, repository: "acme/mine" });
    const theirs = await seedStage(handle.db, { registryId, repository: "acme/theirs" });
    await claimStages(handle.db, { owner: "a", now: T0, leaseSeconds: 60, stageIds: [mine] });
    await recordFirstPolls(handle.db, {
      owner: "a",
      polledAt: T0,
      nextDueAt: T0,
      stages: [{ stageId: mine, lastTag: "v1", lastDigest: null }],
    });
    await claimStages(handle.db, { owner: "a", now: T0, leaseSeconds: 60, stageIds: [mine] });
    await claimStages(handle.db, { owner: "b", now: T0, leaseSeconds: 60, stageIds: [theirs] });

    const written = await recordUnchangedPolls(handle.db, {
      owner: "a",
      polledAt: at(5),
      nextDueAt: at(300),
      stageIds: [mine, theirs],
    });

    expect(written).toEqual([mine]);
    expect((await stateOf(mine))?.lastPolledAt).toEqual(at(5));
    expect((await stateOf(theirs))?.lockedBy).toBe("b");
  });
});
