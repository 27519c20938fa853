import { describe, expect, test } from "vitest";
import { Scheduler } from "../src/scheduler.js";
import type { PollerLogger } from "../src/types.js";
import { FakeClock } from "./support/fake-clock.js";
import { advanceRunningPoller } from "./support/settle.js";

const T0 = new Date("2026-01-01T00:00:00Z");

function recordingLogger() {
  const lines: Array<{ level: string; message: string }> = [];
  const write = (level: string) => (_fields: object, message: string) => {
    lines.push({ level, message });
  };
  const logger: PollerLogger = {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  };
  return { logger, lines };
}

/** A scheduler on a 60 s interval whose settings read fails while `down` is true. */
function schedulerWithDatabase(clock: FakeClock) {
  const database = { down: false, reads: 0, cycles: 0 };
  const { logger, lines } = recordingLogger();
  const scheduler = new Scheduler({
    clock,
    random: () => 0,
    logger,
    settingsCheckMs: 30_000,
    readSettings: async () => {
      database.reads += 1;
      if (database.down) {
        throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      }
      return { cron: null, intervalSeconds: 60, jitterSeconds: 0 };
    },
    runCycle: async () => {
      database.cycles += 1;
    },
    track: (promise) => promise,
  });
  return { scheduler, database, lines };
}

describe("scheduler while the database is down", () => {
  test("retries a failed step after a pause", async () => {
    const clock = new FakeClock(T0);
    const { scheduler, database, lines } = schedulerWithDatabase(clock);
    scheduler.start();
    await advanceRunningPoller(clock, new Date("2026-01-01T00:00:30Z"));
    database.down = true;
    const readsBefore = database.reads;

    // The cycle was due at 00:01:00; every read from then on fails for 20 s.
    await advanceRunningPoller(clock, new Date("2026-01-01T00:01:20Z"));

    expect(database.reads - readsBefore).toBeLessThanOrEqual(6);
    expect(lines.filter((line) => line.level === "warn")).toHaveLength(1);
    scheduler.stop();
  });

  test("runs the missed cycle once the database is back", async () => {
    const clock = new FakeClock(T0);
    const { scheduler, database, lines } = schedulerWithDatabase(clock);
    scheduler.start();
    await advanceRunningPoller(clock, new Date("2026-01-01T00:00:30Z"));
    database.down = true;
    await advanceRunningPoller(clock, new Date("2026-01-01T00:01:10Z"));
    expect(database.cycles).toBe(0);

    database.down = false;
    await advanceRunningPoller(clock, new Date("2026-01-01T00:01:20Z"));

    expect(database.cycles).toBe(1);
    expect(lines.map((line) => line.message)).toContain("poll schedule step works again");
    scheduler.stop();
  });
});
