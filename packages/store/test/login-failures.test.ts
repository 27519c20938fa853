import { afterAll, describe, expect, test } from "vitest";
import {
  countLoginFailure,
  type DatabaseHandle,
  deleteLoginFailures,
  deleteStaleLoginFailures,
  type LoginFailureKey,
  loginFailures,
  readLoginFailures,
  removeLoginFailure,
} from "../src/index.js";
import { openTestDatabase, testEngines } from "../src/testing.js";

const handles: DatabaseHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

const T0 = new Date("2026-06-01T12:00:00Z").getTime();
const WINDOW_MS = 60_000;
const alice: LoginFailureKey = { kind: "user", key: "alice" };
const address: LoginFailureKey = { kind: "address", key: "127.0.0.1" };

/** Builds the window of an attempt `offsetMs` after T0, with a limit of three failures. */
function windowAt(offsetMs: number, maxFailures = 3) {
  return {
    at: new Date(T0 + offsetMs),
    since: new Date(T0 + offsetMs - WINDOW_MS),
    maxFailures,
  };
}

describe.each(testEngines())("login failures on $engine", ({ engine }) => {
  async function open() {
    const handle = await openTestDatabase(engine);
    handles.push(handle);
    return handle.db;
  }

  test("counts until the limit, then rejects", async () => {
    const db = await open();

    const counted = [];
    for (const offset of [0, 1_000, 2_000, 3_000]) {
      counted.push(await countLoginFailure(db, alice, windowAt(offset)));
    }
    const recent = await readLoginFailures(db, alice, windowAt(3_000).since);

    expect(counted).toEqual([true, true, true, false]);
    expect(recent.count).toBe(3);
    expect(recent.oldest).toEqual(new Date(T0));
  });

  test("failures past the window stop counting", async () => {
    const db = await open();
    for (const offset of [0, 1_000, 2_000]) {
      await countLoginFailure(db, alice, windowAt(offset));
    }

    const atEdge = await countLoginFailure(db, alice, windowAt(WINDOW_MS));
    const afterOldest = await countLoginFailure(db, alice, windowAt(WINDOW_MS + 1));
    const [row] = await db.select().from(loginFailures);

    expect(atEdge).toBe(true);
    expect(afterOldest).toBe(false);
    expect(row?.failedAt).toHaveLength(3);
    expect(row?.lastAttemptAt).toEqual(new Date(T0 + WINDOW_MS));
  });

  test("keys are counted apart", async () => {
    const db = await open();

    await countLoginFailure(db, alice, windowAt(0, 1));
    const bob = await countLoginFailure(db, { kind: "user", key: "bob" }, windowAt(0, 1));
    const sameAddress = await countLoginFailure(
      db,
      { kind: "address", key: "alice" },
      windowAt(0, 1),
    );
    const aliceAgain = await countLoginFailure(db, alice, windowAt(0, 1));

    expect(bob).toBe(true);
    expect(sameAddress).toBe(true);
    expect(aliceAgain).toBe(false);
  });

  test("parallel attempts never pass the limit", async () => {
    const db = await open();

    const counted = await Promise.all(
      Array.from({ length: 25 }, (_, index) => countLoginFailure(db, address, windowAt(index, 10))),
    );
    const recent = await readLoginFailures(db, address, windowAt(0).since);

    expect(counted.filter(Boolean)).toHaveLength(10);
    expect(recent.count).toBe(10);
  });

  test("remove takes back one failure", async () => {
    const db = await open();
    await countLoginFailure(db, address, windowAt(0));
    await countLoginFailure(db, address, windowAt(0));
    await countLoginFailure(db, address, windowAt(5_000));

    await removeLoginFailure(db, address, new Date(T0));
    await removeLoginFailure(db, address, new Date(T0 + 9_000));
    const recent = await readLoginFailures(db, address, windowAt(5_000).since);

    expect(recent.count).toBe(2);
    expect(recent.oldest).toEqual(new Date(T0));
  });

  test("delete forgets one key", async () => {
    const db = await open();
    await countLoginFailure(db, alice, windowAt(0));
    await countLoginFailure(db, address, windowAt(0));

    await deleteLoginFailures(db, alice);
    const rows = await db.select().from(loginFailures);

    expect(rows.map((row) => row.kind)).toEqual(["address"]);
    expect(await readLoginFailures(db, alice, windowAt(0).since)).toEqual({
      count: 0,
      oldest: undefined,
    });
  });

  test("stale keys are deleted", async () => {
    const db = await open();
    await countLoginFailure(db, alice, windowAt(0));
    await countLoginFailure(db, alice, windowAt(30_000));
    await countLoginFailure(db, address, windowAt(10_000));

    const deleted = await deleteStaleLoginFailures(db, windowAt(WINDOW_MS + 10_000).since);
    const rows = await db.select().from(loginFailures);

    expect(deleted).toBe(1);
    expect(rows.map((row) => row.key)).toEqual(["alice"]);
  });

  test("unknown key kind is rejected", async () => {
    const db = await open();
    const badKey = { kind: "email", key: "alice@example.test" } as unknown as LoginFailureKey;

    await expect(countLoginFailure(db, badKey, windowAt(0))).rejects.toThrow();
    expect(await db.select().from(loginFailures)).toHaveLength(0);
  });
});
