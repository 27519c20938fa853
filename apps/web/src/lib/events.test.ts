import { describe, expect, test } from "vitest";
import { parseLiveEvent, parseLogLine } from "./events.js";

describe("parseLiveEvent", () => {
  test("reads a bare deploy", () => {
    const event = parseLiveEvent(
      "deploy",
      JSON.stringify({ id: "d1", status: "running", stageId: "s1" }),
    );
    expect(event).toMatchObject({ type: "deploy", deploy: { id: "d1", status: "running" } });
  });

  test("reads a wrapped instance", () => {
    const event = parseLiveEvent(
      "instance",
      JSON.stringify({ instance: { id: "i1", status: "stopped" } }),
    );
    expect(event).toMatchObject({ type: "instance", instance: { id: "i1" } });
  });

  test("reads a candidate as its deploy", () => {
    const data = JSON.stringify({
      deploy: { id: "d2", stageId: "s1", tag: "1.3.0", status: "pending_approval" },
    });
    expect(parseLiveEvent("candidate", data)).toMatchObject({
      type: "candidate",
      deploy: { id: "d2", tag: "1.3.0" },
    });
  });

  test("reads a poll error's message", () => {
    const data = JSON.stringify({ stageId: "s1", error: "registry timed out", failureStreak: 2 });
    expect(parseLiveEvent("poll_error", data)).toEqual({
      type: "poll_error",
      stageId: "s1",
      message: "registry timed out",
    });
  });

  test.each([
    ["deploy", "not json"],
    ["deploy", JSON.stringify({ id: "d1" })],
    ["candidate", JSON.stringify({ deploy: { stageId: "s1" } })],
    ["unknown", JSON.stringify({ id: "x", status: "y" })],
  ])("ignores %s data %s", (type, data) => {
    expect(parseLiveEvent(type, data)).toBeUndefined();
  });
});

describe("parseLogLine", () => {
  test("reads a line and takes the id from the event", () => {
    const line = parseLogLine(
      JSON.stringify({
        message: "pulling",
        level: "warn",
        step: "pull",
        at: "2026-12-04T12:00:00Z",
      }),
      "17",
    );
    expect(line).toEqual({
      id: 17,
      at: "2026-12-04T12:00:00Z",
      level: "warn",
      step: "pull",
      message: "pulling",
    });
  });

  test("defaults an unknown level to info", () => {
    expect(parseLogLine(JSON.stringify({ id: 3, message: "x", level: "loud" }), "")?.level).toBe(
      "info",
    );
  });

  test("ignores data without a message", () => {
    expect(parseLogLine(JSON.stringify({ id: 3 }), "3")).toBeUndefined();
  });
});
