import {
  createSecrets,
  type DatabaseHandle,
  generateSecretKey,
  loginFailures,
  openDatabase,
  parseKeyring,
} from "@berth/store";
import { createTestDatabase, testServerUrl } from "@berth/testing";
import type { Hono } from "hono";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createApp } from "../src/app.js";
import { createStoreLoginLimiter } from "../src/auth/rate-limit-store.js";
import { authApp } from "./auth-helpers.js";
import { ENGINES, errorOf, seedUser, TEST_PASSWORD } from "./helpers.js";

const FIFTEEN_MINUTES_SECONDS = 15 * 60;

/**
 * Opens two handles on one database, as two Berth processes would. PGlite has one client per
 * data directory, so on PGlite both apps share one handle.
 */
function useSharedDatabase(engine: "pglite" | "postgres"): () => [DatabaseHandle, DatabaseHandle] {
  const handles: DatabaseHandle[] = [];
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const serverUrl = testServerUrl();
    if (engine === "postgres" && serverUrl) {
      const database = await createTestDatabase(serverUrl);
      drop = database.drop;
      handles.push(await openDatabase({ url: database.url, maxConnections: 4 }));
      handles.push(await openDatabase({ url: database.url, maxConnections: 4 }));
    } else {
      handles.push(await openDatabase({ dataDir: "memory://" }));
    }
    await handles[0]?.migrate();
  });

  beforeEach(async () => {
    await handles[0]?.db.execute("truncate users, sessions, audit_log, login_failures cascade");
  });

  afterAll(async () => {
    for (const handle of handles) await handle.close();
    await drop?.();
  });

  return () => {
    const first = handles[0];
    if (!first) throw new Error("database is not open yet: call it inside a test");
    return [first, handles[1] ?? first];
  };
}

function appOn(database: DatabaseHandle): Hono {
  return createApp({
    database,
    secrets: createSecrets(parseKeyring(generateSecretKey())),
    logger: pino({ level: "silent" }),
    version: "test",
  });
}

function postLogin(
  app: Pick<Hono, "request">,
  username: string,
  password: string,
  path = "/api/v1/auth/login",
) {
  return app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", host: "berth.test" },
    body: JSON.stringify({ username, password }),
  });
}

/** Sends `count` failed logins for `username`, alternating between the apps, and returns the statuses. */
async function failLogins(apps: Hono[], username: string, count: number): Promise<number[]> {
  const statuses = [];
  for (let attempt = 0; attempt < count; attempt += 1) {
    const app = apps[attempt % apps.length] as Hono;
    statuses.push((await postLogin(app, username, "wrong password")).status);
  }
  return statuses;
}

describe.each(ENGINES)("login limit across processes on $engine", ({ engine }) => {
  const database = useSharedDatabase(engine);

  test("failures split across apps lock the user after 10", async () => {
    const [first, second] = database();
    await seedUser(first, "alice", "viewer");
    const apps = [appOn(first), appOn(second)];

    const statuses = await failLogins(apps, "alice", 10);
    const blockedFirst = await postLogin(apps[0] as Hono, "alice", TEST_PASSWORD);
    const blockedSecond = await postLogin(apps[1] as Hono, "Alice", TEST_PASSWORD);
    const error = await errorOf(blockedSecond);
    const retryAfter = Number(blockedSecond.headers.get("retry-after"));

    expect(statuses).toEqual(Array(10).fill(401));
    expect(blockedFirst.status).toBe(429);
    expect(blockedSecond.status).toBe(429);
    expect(error.code).toBe("rate_limited");
    expect(error.message).toBe(`too many failed logins: try again in ${retryAfter} seconds`);
    expect(retryAfter).toBeGreaterThan(FIFTEEN_MINUTES_SECONDS - 60);
    expect(retryAfter).toBeLessThanOrEqual(FIFTEEN_MINUTES_SECONDS);
  });

  test("a new app keeps the count", async () => {
    const [first, second] = database();
    await seedUser(first, "alice", "viewer");

    const before = await failLogins([appOn(first)], "alice", 10);
    const afterRestart = await postLogin(appOn(second), "alice", TEST_PASSWORD);

    expect(before).toEqual(Array(10).fill(401));
    expect(afterRestart.status).toBe(429);
  });

  test("success on one app resets the user for both", async () => {
    const [first, second] = database();
    await seedUser(first, "alice", "viewer");
    const apps = [appOn(first), appOn(second)];

    const before = await failLogins(apps, "alice", 9);
    const success = await postLogin(apps[1] as Hono, "alice", TEST_PASSWORD);
    const userRows = await first.db.select().from(loginFailures);
    const after = await failLogins(apps, "alice", 11);

    expect(before).toEqual(Array(9).fill(401));
    expect(success.status).toBe(200);
    expect(userRows.map((row) => [row.kind, row.failedAt.length])).toEqual([["address", 9]]);
    expect(after).toEqual([...Array(10).fill(401), 429]);
  });

  test("parallel failures never pass the limit", async () => {
    const [first, second] = database();
    await seedUser(first, "alice", "viewer");
    const apps = [appOn(first), appOn(second)];

    const responses = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        postLogin(apps[index % 2] as Hono, "alice", "wrong password"),
      ),
    );
    const statuses = responses.map((response) => response.status);

    expect(statuses.filter((status) => status === 401)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
  });

  test("address failures are shared", async () => {
    const [first, second] = database();
    await seedUser(first, "alice", "viewer");
    const apps = [first, second].map((handle) =>
      authApp(handle.db, {
        loginLimiter: createStoreLoginLimiter({ db: handle.db, maxFailures: 3, windowMs: 60_000 }),
      }),
    );

    const statuses = [];
    for (const [index, username] of ["mallory", "trent", "eve"].entries()) {
      const app = apps[index % 2] as (typeof apps)[number];
      statuses.push((await postLogin(app, username, "wrong password", "/auth/login")).status);
    }
    const blocked = await postLogin(
      apps[1] as (typeof apps)[number],
      "alice",
      TEST_PASSWORD,
      "/auth/login",
    );
    const rows = await first.db.select().from(loginFailures);

    expect(statuses).toEqual([401, 401, 401]);
    expect(blocked.status).toBe(429);
    const failuresOf = (kind: string, key: string) =>
      rows.find((row) => row.kind === kind && row.key === key)?.failedAt.length;
    expect(["mallory", "trent", "eve"].map((username) => failuresOf("user", username))).toEqual([
      1, 1, 1,
    ]);
    expect(failuresOf("user", "alice")).toBe(0);
    expect(failuresOf("address", "unknown")).toBe(3);
  });
});
