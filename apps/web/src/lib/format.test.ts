import { describe, expect, test } from "vitest";
import { age, dateTime, pollBackoffNotice, shortDigest } from "./format.js";

describe("shortDigest", () => {
  test("keeps twelve hex digits", () => {
    expect(shortDigest(`sha256:${"0123456789abcdef".repeat(4)}`)).toBe("0123456789ab");
  });

  test("shows a dash for no digest", () => {
    expect(shortDigest(null)).toBe("—");
  });
});

describe("age", () => {
  const now = new Date("2026-12-04T12:00:00Z");
  test.each([
    ["2026-12-04T11:59:15Z", "45s"],
    ["2026-12-04T11:48:00Z", "12m"],
    ["2026-12-04T09:00:00Z", "3h"],
    ["2026-11-29T12:00:00Z", "5d"],
    ["2026-12-04T12:00:30Z", "0s"],
  ])("%s is %s old", (iso, expected) => {
    expect(age(iso, now)).toBe(expected);
  });

  test("shows a dash for an invalid time", () => {
    expect(age("not a date", now)).toBe("—");
  });
});

describe("pollBackoffNotice", () => {
  const failed = {
    lastPolledAt: "2026-12-01T10:00:00.000Z",
    lastError: "registry flaky rate-limited list tags for acme/cart (429): retry after 90 s",
    lastErrorAt: "2026-12-01T10:00:00.000Z",
    failureStreak: 2,
    nextDueAt: "2026-12-01T10:01:30.000Z",
  };

  test("names the error, streak and next attempt", () => {
    expect(pollBackoffNotice(failed)).toBe(
      `Polling failed 2 times in a row: ${failed.lastError}. Next attempt at ${dateTime(failed.nextDueAt)}.`,
    );
  });

  test("says once for a first failure", () => {
    expect(pollBackoffNotice({ ...failed, failureStreak: 1 })).toMatch(/^Polling failed once: /);
  });

  test("is null after a successful poll or none", () => {
    expect(pollBackoffNotice({ ...failed, lastError: null, failureStreak: 0 })).toBeNull();
    expect(pollBackoffNotice(null)).toBeNull();
  });
});
