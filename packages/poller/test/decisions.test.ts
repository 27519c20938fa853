import { describe, expect, test } from "vitest";
import { backoffDelayMs, observe, rateLimitPauseUntil } from "../src/decisions.js";

const D = (hex: string) => `sha256:${hex.repeat(64)}`;
const fresh = { initialized: false, lastTag: null, lastDigest: null };
const onV1 = { initialized: true, lastTag: "v1", lastDigest: D("a") };

describe("observe", () => {
  test.each([
    {
      name: "first poll records the selected tag",
      state: fresh,
      selected: { tag: "v1", digest: D("a") },
      expected: { kind: "first", tag: "v1", digest: D("a") },
    },
    {
      name: "first poll with no tag records nothing",
      state: fresh,
      selected: null,
      expected: { kind: "first", tag: null, digest: null },
    },
    {
      name: "no selection is nothing new",
      state: onV1,
      selected: null,
      expected: { kind: "unchanged" },
    },
    {
      name: "same tag and digest is nothing new",
      state: onV1,
      selected: { tag: "v1", digest: D("a") },
      expected: { kind: "unchanged" },
    },
    {
      name: "higher tag is new",
      state: onV1,
      selected: { tag: "v2", digest: D("b") },
      expected: { kind: "new", tag: "v2", digest: D("b") },
    },
    {
      name: "re-pushed tag with a new digest is new",
      state: onV1,
      selected: { tag: "v1", digest: D("c") },
      expected: { kind: "new", tag: "v1", digest: D("c") },
    },
    {
      name: "first tag after an empty first poll is new",
      state: { initialized: true, lastTag: null, lastDigest: null },
      selected: { tag: "v1", digest: D("a") },
      expected: { kind: "new", tag: "v1", digest: D("a") },
    },
  ])("$name", ({ state, selected, expected }) => {
    expect(observe(state, selected)).toEqual(expected);
  });

  test.each([
    {
      name: "pushed tag selected first is new",
      state: fresh,
      pushedTag: "v1",
      expected: { kind: "new", tag: "v1", digest: D("a") },
    },
    {
      name: "other tag pushed first is baseline",
      state: fresh,
      pushedTag: "v0",
      expected: { kind: "first", tag: "v1", digest: D("a") },
    },
    {
      name: "pushed tag already seen is unchanged",
      state: onV1,
      pushedTag: "v1",
      expected: { kind: "unchanged" },
    },
  ])("$name", ({ state, pushedTag, expected }) => {
    expect(observe(state, { tag: "v1", digest: D("a") }, pushedTag)).toEqual(expected);
  });
});

describe("backoffDelayMs", () => {
  const options = { baseMs: 60_000, capMs: 3_600_000 };

  test.each([
    { streak: 1, random: 0, expected: 30_000 },
    { streak: 1, random: 0.999_999, expected: 60_000 },
    { streak: 2, random: 0, expected: 60_000 },
    { streak: 3, random: 0.5, expected: 180_000 },
    { streak: 7, random: 0, expected: 1_800_000 },
    { streak: 8, random: 0, expected: 1_800_000 },
    { streak: 1000, random: 0, expected: 1_800_000 },
  ])("streak $streak with random $random waits $expected ms", ({ streak, random, expected }) => {
    expect(backoffDelayMs(streak, { ...options, random: () => random })).toBe(expected);
  });

  test("never exceeds the cap", () => {
    for (let streak = 1; streak < 100; streak += 1) {
      expect(backoffDelayMs(streak, { ...options, random: () => 0.999 })).toBeLessThanOrEqual(
        options.capMs,
      );
    }
  });
});

describe("rateLimitPauseUntil", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const options = { fallbackMs: 60_000, capMs: 3_600_000, random: () => 0 };

  test.each([
    { retryAfterSeconds: 120, expected: "2026-01-01T00:02:00.000Z" },
    { retryAfterSeconds: undefined, expected: "2026-01-01T00:01:00.000Z" },
    { retryAfterSeconds: 0, expected: "2026-01-01T00:01:00.000Z" },
    { retryAfterSeconds: 86_400, expected: "2026-01-01T01:00:00.000Z" },
  ])("Retry-After $retryAfterSeconds pauses until $expected", ({ retryAfterSeconds, expected }) => {
    expect(rateLimitPauseUntil(now, retryAfterSeconds, options).toISOString()).toBe(expected);
  });

  test("adds up to a tenth of the wait as jitter", () => {
    const until = rateLimitPauseUntil(now, 100, { ...options, random: () => 0.999_999 });
    expect(until.getTime() - now.getTime()).toBe(109_999);
  });
});
