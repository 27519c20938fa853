import { describe, expect, test } from "vitest";
import { jitteredRunTime, nextFireTime, parseSchedule } from "../src/schedule.js";

const settings = { cron: null, intervalSeconds: 300, jitterSeconds: 30 };

describe("nextFireTime", () => {
  test.each([
    { after: "2026-01-01T00:00:00.000Z", expected: "2026-01-01T00:05:00.000Z" },
    { after: "2026-01-01T00:04:59.999Z", expected: "2026-01-01T00:05:00.000Z" },
    { after: "2026-01-01T00:05:00.000Z", expected: "2026-01-01T00:10:00.000Z" },
  ])("interval of 300 s after $after fires at $expected", ({ after, expected }) => {
    const { schedule } = parseSchedule(settings);
    expect(nextFireTime(schedule, new Date(after)).toISOString()).toBe(expected);
  });

  test.each([
    { cron: "*/15 * * * *", after: "2026-01-01T00:01:00Z", expected: "2026-01-01T00:15:00.000Z" },
    { cron: "0 3 * * *", after: "2026-01-01T04:00:00Z", expected: "2026-01-02T03:00:00.000Z" },
    { cron: "*/20 * * * * *", after: "2026-01-01T00:00:01Z", expected: "2026-01-01T00:00:20.000Z" },
  ])("cron $cron after $after fires at $expected", ({ cron, after, expected }) => {
    const previousZone = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      const { schedule } = parseSchedule({ ...settings, cron });
      expect(schedule.kind).toBe("cron");
      expect(nextFireTime(schedule, new Date(after)).toISOString()).toBe(expected);
    } finally {
      process.env.TZ = previousZone;
    }
  });
});

describe("parseSchedule", () => {
  test("blank cron means the interval", () => {
    expect(parseSchedule({ ...settings, cron: "  " }).schedule.kind).toBe("interval");
  });

  test("invalid cron falls back to the interval and says why", () => {
    const { schedule, problem } = parseSchedule({ ...settings, cron: "every day" });

    expect(schedule.kind).toBe("interval");
    expect(problem).toContain('"every day"');
    expect(problem).toContain("polling every 300 s until it is corrected");
  });
});

describe("jitteredRunTime", () => {
  test("delays the run by up to the jitter", () => {
    const { schedule } = parseSchedule(settings);
    const fire = new Date("2026-01-01T00:05:00Z");

    expect(jitteredRunTime(schedule, fire, () => 0)).toEqual(fire);
    expect(jitteredRunTime(schedule, fire, () => 0.5).getTime() - fire.getTime()).toBe(15_000);
    expect(jitteredRunTime(schedule, fire, () => 0.999_99).getTime()).toBeLessThan(
      fire.getTime() + 30_000,
    );
  });
});
