import { type LoginFailureKey, loginFailures } from "@berth/store";
import { describe, expect, test } from "vitest";
import { createLoginLimiter, type LoginLimiter } from "../src/auth/rate-limit.js";
import { createStoreLoginLimiter } from "../src/auth/rate-limit-store.js";
import { ENGINES, useDatabase } from "./helpers.js";

const WINDOW_MS = 60_000;
const alice: LoginFailureKey = { kind: "user", key: "alice" };
const address: LoginFailureKey = { kind: "address", key: "127.0.0.1" };

/** Creates a clock the test moves by hand, starting at a fixed time. */
function manualClock() {
  let time = Date.parse("2026-06-01T12:00:00Z");
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

/** Consumes `count` attempts on `key`, `stepMs` apart, and returns whether each was counted. */
async function consumeMany(
  limiter: LoginLimiter,
  clock: ReturnType<typeof manualClock>,
  key: LoginFailureKey,
  count: number,
  stepMs = 0,
): Promise<boolean[]> {
  const counted = [];
  for (let attempt = 0; attempt < count; attempt += 1) {
    counted.push((await limiter.consume(key)).counted);
    clock.advance(stepMs);
  }
  return counted;
}

// The memory limiter needs no database, so it runs once. The store limiter runs on every engine.
const IMPLEMENTATIONS = [
  { limiter: "memory", engine: "pglite" as const },
  ...ENGINES.map(({ engine }) => ({ limiter: "store", engine })),
];

describe.each(IMPLEMENTATIONS)("$limiter login limiter on $engine", ({ limiter, engine }) => {
  const database = useDatabase(engine);

  function create(clock: ReturnType<typeof manualClock>): LoginLimiter {
    const options = { maxFailures: 3, windowMs: WINDOW_MS, now: clock.now };
    return limiter === "memory"
      ? createLoginLimiter(options)
      : createStoreLoginLimiter({ ...options, db: database().db });
  }

  test("blocks until the oldest failure leaves", async () => {
    const clock = manualClock();
    const limits = create(clock);

    const counted = await consumeMany(limits, clock, alice, 3, 10_000);
    const blocked = await limits.consume(alice);
    const waitBefore = await limits.retryAfterSeconds(alice);
    clock.advance(30_000);
    const allowed = await limits.consume(alice);
    const blockedAgain = await limits.consume(alice);

    expect(counted).toEqual([true, true, true]);
    expect(blocked).toEqual({ counted: false, retryAfterSeconds: 30 });
    expect(waitBefore).toBe(30);
    expect(allowed.counted).toBe(true);
    expect(blockedAgain).toEqual({ counted: false, retryAfterSeconds: 10 });
  });

  test("other keys stay allowed", async () => {
    const clock = manualClock();
    const limits = create(clock);

    await consumeMany(limits, clock, alice, 3);
    const other = await limits.consume(address);

    expect(other.counted).toBe(true);
    expect(await limits.retryAfterSeconds(address)).toBe(0);
  });

  test("refund takes back one attempt", async () => {
    const clock = manualClock();
    const limits = create(clock);

    await consumeMany(limits, clock, address, 2);
    const third = await limits.consume(address);
    if (!third.counted) throw new Error("the third attempt should have been counted");
    await limits.refund(address, third.at);
    const fourth = await limits.consume(address);
    const fifth = await limits.consume(address);

    expect(fourth.counted).toBe(true);
    expect(fifth.counted).toBe(false);
  });

  test("reset forgets the key", async () => {
    const clock = manualClock();
    const limits = create(clock);

    await consumeMany(limits, clock, alice, 3);
    await limits.reset(alice);

    expect(await limits.retryAfterSeconds(alice)).toBe(0);
    expect(await consumeMany(limits, clock, alice, 4)).toEqual([true, true, true, false]);
  });
});

describe.each(ENGINES)("store login limiter rows on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("rows past the window are deleted", async () => {
    const { db } = database();
    const clock = manualClock();
    const limits = createStoreLoginLimiter({
      db,
      maxFailures: 3,
      windowMs: WINDOW_MS,
      now: clock.now,
    });

    // The first attempt sweeps, and the next sweep waits a minute (the default interval).
    await limits.consume(alice);
    clock.advance(30_000);
    await limits.consume(address);
    clock.advance(29_000);
    await limits.consume({ kind: "user", key: "bob" });
    const beforeSweep = await db.select().from(loginFailures);
    clock.advance(32_000);
    await limits.consume({ kind: "user", key: "carol" });
    const afterSweep = await db.select().from(loginFailures);

    expect(beforeSweep.map((row) => row.key).sort()).toEqual(["127.0.0.1", "alice", "bob"]);
    expect(afterSweep.map((row) => row.key).sort()).toEqual(["bob", "carol"]);
  });

  test("zero limit is rejected", () => {
    const { db } = database();

    expect(() => createStoreLoginLimiter({ db, maxFailures: 0, windowMs: WINDOW_MS })).toThrow(
      "createStoreLoginLimiter: maxFailures must be a positive integer, got 0",
    );
  });
});

describe("login limiter options", () => {
  test.each([
    {
      maxFailures: 0,
      windowMs: WINDOW_MS,
      message: "maxFailures must be a positive integer, got 0",
    },
    {
      maxFailures: 2.5,
      windowMs: WINDOW_MS,
      message: "maxFailures must be a positive integer, got 2.5",
    },
    { maxFailures: 3, windowMs: -1, message: "windowMs must be a positive integer, got -1" },
  ])("rejects $message", ({ maxFailures, windowMs, message }) => {
    expect(() => createLoginLimiter({ maxFailures, windowMs })).toThrow(
      `createLoginLimiter: ${message}`,
    );
  });
});
