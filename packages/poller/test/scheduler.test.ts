import { type DatabaseHandle, settings } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createPoller, type PollerLogger } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { advanceRunningPoller } from "./support/settle.js";

const engine = testEngines().at(-1)!.engine;
const T0 = new Date("2026-01-01T00:00:10Z");
const at = (time: string) => new Date(`2026-01-01T${time}Z`);

function recordingLogger() {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const write = (level: string) => (fields: object, message: string) => {
    lines.push({ level, fields, message });
  };
  const logger: PollerLogger = {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
  };
  return { logger, lines };
}

describe(`schedule on ${engine}`, () => {
  let handle: DatabaseHandle;

  beforeAll(async () => {
    handle = await openTestDatabase(engine);
  });
  afterAll(() => handle.close());

  const setSchedule = async (values: {
    pollCron?: string | null;
    pollIntervalSeconds?: number;
    pollJitterSeconds?: number;
  }) => {
    await handle.db
      .insert(settings)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: settings.id, set: values });
  };

  beforeEach(() => setSchedule({ pollCron: null, pollIntervalSeconds: 300, pollJitterSeconds: 0 }));

  const startPoller = (clock: FakeClock, random = () => 0) => {
    const { logger, lines } = recordingLogger();
    const poller = createPoller({ db: handle.db, clock, random, logger, settingsCheckSeconds: 30 });
    poller.start();
    return { poller, lines };
  };

  test("cycle runs at the next interval boundary", async () => {
    const clock = new FakeClock(T0);
    const { poller, lines } = startPoller(clock);

    await advanceRunningPoller(clock, at("00:04:59"));
    expect(poller.counters().cycles).toBe(0);
    await advanceRunningPoller(clock, at("00:05:00"));
    expect(poller.counters().cycles).toBe(1);
    await advanceRunningPoller(clock, at("00:10:00"));
    expect(poller.counters().cycles).toBe(2);

    const summaries = lines.filter((line) => line.message === "poll cycle finished");
    expect(summaries).toHaveLength(2);
    expect(summaries[0]?.fields).toMatchObject({ stages: 0, candidates: 0, errors: 0 });
    await poller.stop();
    expect(clock.pending()).toBe(0);
  });

  test("jitter delays the cycle", async () => {
    await setSchedule({ pollJitterSeconds: 30 });
    const clock = new FakeClock(T0);
    const { poller } = startPoller(clock, () => 0.5);

    await advanceRunningPoller(clock, at("00:05:14"));
    expect(poller.counters().cycles).toBe(0);
    await advanceRunningPoller(clock, at("00:05:15"));
    expect(poller.counters().cycles).toBe(1);
    await poller.stop();
  });

  test("settings change reschedules without restart", async () => {
    const clock = new FakeClock(T0);
    const { poller } = startPoller(clock);
    await advanceRunningPoller(clock, at("00:05:00"));
    expect(poller.counters().cycles).toBe(1);

    await setSchedule({ pollIntervalSeconds: 60 });
    await advanceRunningPoller(clock, at("00:06:00"));

    expect(poller.counters().cycles).toBe(2);
    await advanceRunningPoller(clock, at("00:07:00"));
    expect(poller.counters().cycles).toBe(3);
    await poller.stop();
  });

  test("cron expression wins over the interval", async () => {
    await setSchedule({ pollCron: "*/2 * * * *" });
    const clock = new FakeClock(T0);
    const { poller } = startPoller(clock);

    await advanceRunningPoller(clock, at("00:01:59"));
    expect(poller.counters().cycles).toBe(0);
    await advanceRunningPoller(clock, at("00:02:00"));
    expect(poller.counters().cycles).toBe(1);
    await poller.stop();
  });

  test("invalid cron is logged and the interval used", async () => {
    await setSchedule({ pollCron: "every minute" });
    const clock = new FakeClock(T0);
    const { poller, lines } = startPoller(clock);

    await advanceRunningPoller(clock, at("00:05:00"));

    expect(poller.counters().cycles).toBe(1);
    const errors = lines.filter((line) => line.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('settings poll_cron "every minute" is invalid');
    await poller.stop();
  });

  test("stop leaves no timer and start resumes", async () => {
    const clock = new FakeClock(T0);
    const { poller } = startPoller(clock);
    await advanceRunningPoller(clock, at("00:01:00"));
    expect(clock.pending()).toBe(1);

    await poller.stop();
    expect(clock.pending()).toBe(0);

    poller.start();
    await advanceRunningPoller(clock, at("00:05:00"));
    expect(poller.counters().cycles).toBe(1);
    await poller.stop();
    expect(clock.pending()).toBe(0);
  });
});
