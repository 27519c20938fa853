import type { DatabaseHandle } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createPoller } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { type FaultMode, type FaultServer, startFaultServer } from "./support/fault-server.js";
import { seedRegistry, seedStage } from "./support/seed.js";

const engine = testEngines().at(-1)!.engine;

describe(`registry faults on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let faulty: FaultServer;
  let faultyId: string;
  let healthyId: string;
  let counter = 0;

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    faulty = await startFaultServer(registry.url);
    faultyId = await seedRegistry(handle.db, faulty.url);
    healthyId = await seedRegistry(handle.db, registry.url);
  });
  afterAll(async () => {
    await faulty?.stop();
    await registry?.stop();
    await handle?.close();
  });

  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });

  /** Seeds one image with one tag, and a stage on it through each registry. */
  const seedPair = async () => {
    counter += 1;
    const repository = `acme/fault-${counter}`;
    await pushTestImage({ registry: registry.host, repository, tag: "v1.0.0" });
    const broken = await seedStage(handle.db, { registryId: faultyId, repository });
    const healthy = await seedStage(handle.db, { registryId: healthyId, repository });
    return { repository, broken, healthy };
  };

  const newPoller = (clock: FakeClock) =>
    createPoller({
      db: handle.db,
      clock,
      random: () => 0,
      requestTimeoutSeconds: 0.5,
      backoffBaseSeconds: 60,
    });

  test.each<{ mode: FaultMode; expectedError: string }>([
    { mode: "500", expectedError: "returned HTTP 500 for acme/fault-" },
    { mode: "garbage", expectedError: "returned invalid JSON for list tags of acme/fault-" },
    { mode: "hang", expectedError: "did not respond to GET /v2/acme/fault-" },
  ])("$mode marks only its stages as failing and recovers", async ({ mode, expectedError }) => {
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    const poller = newPoller(clock);
    const { broken, healthy } = await seedPair();
    faulty.setMode(mode);

    const failed = await poller.checkStages([broken, healthy], { trigger: "poll" });

    expect(failed).toMatchObject({ stages: 2, errors: 1 });
    const brokenState = await stateOf(broken);
    expect(brokenState?.lastError).toContain(expectedError);
    expect(brokenState?.failureStreak).toBe(1);
    expect(brokenState?.initialized).toBe(false);
    expect(brokenState?.nextDueAt).toEqual(new Date("2026-01-01T00:00:30Z"));
    expect(brokenState?.lockedBy).toBeNull();
    const healthyState = await stateOf(healthy);
    expect(healthyState?.lastError).toBeNull();
    expect(healthyState?.lastTag).toBe("v1.0.0");

    faulty.setMode("pass");
    clock.advanceBy(30_000);
    const recovered = await poller.checkStages([broken], { trigger: "poll" });

    expect(recovered).toMatchObject({ stages: 1, errors: 0 });
    const after = await stateOf(broken);
    expect(after?.lastError).toBeNull();
    expect(after?.failureStreak).toBe(0);
    expect(after?.lastTag).toBe("v1.0.0");
  });

  test("failure streak backs off exponentially", async () => {
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    const poller = newPoller(clock);
    const { broken } = await seedPair();
    faulty.setMode("500");

    const waits: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await poller.checkStages([broken], { trigger: "poll" });
      const state = await stateOf(broken);
      waits.push((state!.nextDueAt.getTime() - clock.now().getTime()) / 1000);
      clock.advanceTo(state!.nextDueAt);
    }

    faulty.setMode("pass");
    expect(waits).toEqual([30, 60, 120, 240]);
    expect((await stateOf(broken))?.failureStreak).toBe(4);
  });

  test("429 pauses the whole registry until its retry time", async () => {
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    const poller = createPoller({
      db: handle.db,
      clock,
      random: () => 0,
      imageConcurrency: 1,
      requestTimeoutSeconds: 5,
    });
    const first = await seedPair();
    const second = await seedPair();
    faulty.setMode("429", { retryAfterSeconds: 120 });
    faulty.requests.length = 0;

    const limited = await poller.checkStages([first.broken, second.broken, first.healthy], {
      trigger: "poll",
    });

    expect(limited).toMatchObject({ errors: 1, deferred: 1, stages: 2 });
    const requestsWhenLimited = faulty.requests.length;
    expect(requestsWhenLimited).toBeGreaterThan(0);
    expect(poller.counters().rateLimited).toBe(1);
    const pausedUntil = new Date("2026-01-01T00:02:00Z");
    const states = await Promise.all([stateOf(first.broken), stateOf(second.broken)]);
    expect(states.map((state) => state?.nextDueAt)).toEqual([pausedUntil, pausedUntil]);
    expect(states.filter((state) => state?.lastError)).toHaveLength(1);
    expect((await stateOf(first.healthy))?.lastTag).toBe("v1.0.0");

    faulty.setMode("pass");
    clock.advanceTo(new Date("2026-01-01T00:01:59Z"));
    const stillPaused = await poller.checkStages([first.broken], { trigger: "poll" });
    expect(stillPaused).toMatchObject({ stages: 0, deferred: 1 });
    expect(faulty.requests).toHaveLength(requestsWhenLimited);

    clock.advanceTo(pausedUntil);
    const resumed = await poller.pollNow();
    expect(resumed).toMatchObject({ errors: 0, deferred: 0 });
    expect((await stateOf(first.broken))?.lastTag).toBe("v1.0.0");
    expect((await stateOf(second.broken))?.lastTag).toBe("v1.0.0");
  });

  test("stop during a cycle leaves no timer and no running check", async () => {
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    const poller = createPoller({ db: handle.db, clock, requestTimeoutSeconds: 60 });
    const { broken } = await seedPair();
    faulty.setMode("hang");
    faulty.requests.length = 0;
    poller.start();

    const cycle = poller.pollNow(broken);
    await expect.poll(() => faulty.requests.length).toBe(1);
    await poller.stop();

    const summary = await cycle;
    expect(summary).toMatchObject({ stages: 0, errors: 0, deferred: 1 });
    expect(clock.pending()).toBe(0);
    const state = await stateOf(broken);
    expect(state?.lockedBy).toBeNull();
    expect(state?.lastError).toBeNull();
    faulty.setMode("pass");
  });
});

describe(`bad stage input on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let registryId: string;

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    registryId = await seedRegistry(handle.db, registry.url);
    await pushTestImage({ registry: registry.host, repository: "acme/input", tag: "build-12" });
  });
  afterAll(async () => {
    await registry?.stop();
    await handle?.close();
  });

  const lastErrorOf = async (stageId: string) =>
    (
      await handle.db.query.pollState.findFirst({
        where: (row, { eq }) => eq(row.stageId, stageId),
      })
    )?.lastError;

  test("invalid policy fails only its stage", async () => {
    const broken = await seedStage(handle.db, {
      registryId,
      repository: "acme/input",
      name: "broken",
      policy: { kind: "numeric", extract: "build-(" },
    });
    const healthy = await seedStage(handle.db, {
      registryId,
      repository: "acme/input",
      name: "healthy",
      policy: { kind: "numeric", extract: "^build-(\\d+)$" },
    });
    const poller = createPoller({ db: handle.db });

    const summary = await poller.checkStages([broken, healthy], { trigger: "poll" });

    expect(summary).toMatchObject({ stages: 2, errors: 1 });
    expect(await lastErrorOf(broken)).toContain("build-(");
    expect(await lastErrorOf(healthy)).toBeNull();
  });

  test("missing repository fails its stage", async () => {
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/never-pushed" });
    const poller = createPoller({ db: handle.db });

    const summary = await poller.pollNow(stageId);

    expect(summary.errors).toBe(1);
    expect(await lastErrorOf(stageId)).toContain("acme/never-pushed");
  });
});
