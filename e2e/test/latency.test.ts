import { describe, expect, it } from "vitest";
import { type LogEntry, percentile, timePush } from "../src/latency.js";

const SENT = Date.parse("2026-12-04T21:00:00.000Z");

function entry(offsetMs: number, step: string, message: string): LogEntry {
  return { at: new Date(SENT + offsetMs).toISOString(), step, message };
}

describe("timePush", () => {
  it("splits a deploy log into engine and Berth time", () => {
    const timing = timePush(SENT, [
      entry(100, "resolve", "pinned to sha256:…"),
      entry(400, "pull", "pulled"),
      entry(500, "create", "created container"),
      entry(700, "start", "started, reachable at 127.0.0.1:40000"),
      entry(750, "health", "health gate passed"),
    ]);

    expect(timing).toEqual({ totalMs: 750, engineMs: 600, berthMs: 150 });
  });

  it("rejects a log without a passed health gate", () => {
    const entries = [entry(100, "resolve", "pinned"), entry(700, "start", "started")];

    expect(() => timePush(SENT, entries)).toThrow("no 'health gate passed' line");
  });

  it("names a missing step", () => {
    const entries = [entry(100, "resolve", "pinned"), entry(750, "health", "health gate passed")];

    expect(() => timePush(SENT, entries)).toThrow("no line for step start");
  });
});

describe("percentile", () => {
  it("takes the nearest rank", () => {
    const values = Array.from({ length: 20 }, (_, index) => index + 1);

    expect(percentile(values, 50)).toBe(10);
    expect(percentile(values, 99)).toBe(20);
  });

  it("rejects an empty list", () => {
    expect(() => percentile([], 50)).toThrow("percentile of no values");
  });
});
