import { type DatabaseHandle, settings } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createPoller } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { seedRegistry, seedStage } from "./support/seed.js";
import { advanceRunningPoller } from "./support/settle.js";

const engine = testEngines().at(-1)!.engine;
const at = (time: string) => new Date(`2026-01-01T${time}Z`);

describe(`shortened poll interval on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
  });
  afterAll(async () => {
    await registry?.stop();
    await handle?.close();
  });

  const setPollInterval = async (pollIntervalSeconds: number) => {
    const values = { pollCron: null, pollIntervalSeconds, pollJitterSeconds: 0 };
    await handle.db
      .insert(settings)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: settings.id, set: values });
  };
  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });

  test("healthy stages move to the new interval", async () => {
    await setPollInterval(300);
    await pushTestImage({ registry: registry.host, repository: "acme/interval", tag: "v1.0.0" });
    const healthy = await seedStage(handle.db, {
      registryId: await seedRegistry(handle.db, registry.url),
      repository: "acme/interval",
    });
    // Nothing listens on port 1, so every poll of this stage fails and it backs off.
    const failing = await seedStage(handle.db, {
      registryId: await seedRegistry(handle.db, "http://127.0.0.1:1"),
      repository: "acme/interval",
    });
    const clock = new FakeClock(at("00:00:10"));
    const poller = createPoller({
      db: handle.db,
      clock,
      random: () => 0,
      settingsCheckSeconds: 30,
      backoffBaseSeconds: 1200,
    });
    poller.start();

    await advanceRunningPoller(clock, at("00:05:00"));
    expect((await stateOf(healthy))?.nextDueAt).toEqual(at("00:10:00"));
    const backoff = await stateOf(failing);
    expect(backoff?.failureStreak).toBe(1);
    expect(backoff?.nextDueAt.getTime()).toBeGreaterThan(at("00:10:00").getTime());

    await setPollInterval(10);
    // The settings check at 00:05:30 plans the next fire time, 00:05:40.
    await advanceRunningPoller(clock, at("00:05:30"));
    expect((await stateOf(healthy))?.nextDueAt).toEqual(at("00:05:40"));
    expect((await stateOf(failing))?.nextDueAt).toEqual(backoff?.nextDueAt);

    await advanceRunningPoller(clock, at("00:05:40"));
    expect(poller.lastSummary()).toMatchObject({ stages: 1, errors: 0 });
    const polled = await stateOf(healthy);
    expect(polled?.lastPolledAt).toEqual(at("00:05:40"));
    expect(polled?.nextDueAt).toEqual(at("00:05:50"));
    expect((await stateOf(failing))?.failureStreak).toBe(1);

    await poller.stop();
    expect(clock.pending()).toBe(0);
  });
});
