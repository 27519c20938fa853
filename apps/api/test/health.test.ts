import { createSecrets, type DatabaseHandle, generateSecretKey, parseKeyring } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import pino from "pino";
import { afterAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.js";

const handles: DatabaseHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

function appFor(database: DatabaseHandle) {
  return createApp({
    database,
    secrets: createSecrets(parseKeyring(generateSecretKey())),
    logger: pino({ level: "silent" }),
    version: "1.2.3",
  });
}

describe.each(testEngines())("health on $engine", ({ engine }) => {
  test("reports engine, migration and version", async () => {
    const database = await openTestDatabase(engine);
    handles.push(database);

    const response = await appFor(database).request("/api/v1/health");

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "ok",
      database: {
        engine,
        reachable: true,
        migration: {
          current: expect.stringMatching(/^\d{4}_/),
          applied: expect.any(Number),
          pending: 0,
        },
      },
      version: "1.2.3",
    });
  });

  test("answers 503 when the database is closed", async () => {
    const database = await openTestDatabase(engine);
    await database.close();

    const response = await appFor(database).request("/api/v1/health");

    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: "unavailable",
      database: { engine, reachable: false, migration: null },
    });
  });
});

test("unknown route answers 404 in the API's error shape", async () => {
  const database = await openTestDatabase("pglite");
  handles.push(database);

  const response = await appFor(database).request("/api/v1/nothing-here");

  expect(response.status).toBe(404);
  expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
});
