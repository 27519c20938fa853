import type { DatabaseHandle } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { createPoller } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { seedRegistry, seedStage } from "./support/seed.js";

// Real Postgres when the test server is configured, else the embedded engine.
const engine = testEngines().at(-1)!.engine;

describe(`registry request signals on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let registryId: string;

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    registryId = await seedRegistry(handle.db, registry.url);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await registry?.stop();
    await handle?.close();
  });

  // On Node 20, `AbortSignal.any` leaves an entry on each source until the source is
  // collected, so a source that lives as long as the poller grows for good.
  test("checks combine only short-lived signals", async () => {
    const repository = "acme/request-signals";
    await pushTestImage({ registry: registry.host, repository, tag: "1.0.0", content: "a" });
    const stageId = await seedStage(handle.db, { registryId, repository });
    const poller = createPoller({
      db: handle.db,
      clock: new FakeClock(new Date("2026-01-01T00:00:00Z")),
      owner: "request-signal-poller",
      onCandidate: () => undefined,
    });
    const combine = vi.spyOn(AbortSignal, "any");
    const sourcesOfCheck = async () => {
      combine.mockClear();
      await poller.pollNow(stageId);
      return new Set(combine.mock.calls.flatMap(([sources]) => [...sources]));
    };

    const first = await sourcesOfCheck();
    const second = await sourcesOfCheck();

    expect(first.size).toBeGreaterThan(0);
    expect([...second].filter((signal) => first.has(signal))).toEqual([]);
  });
});
