import { createUser, type DatabaseHandle, openDatabase, type UserRole } from "@berth/store";
import { createTestDatabase, testServerUrl } from "@berth/testing";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { hashPassword } from "../src/auth/crypto.js";
import { errorHandler, notFoundHandler } from "../src/http/errors.js";

const serverUrl = testServerUrl();

/** Engines every store-backed test runs on: PGlite always, Postgres when a server is configured. */
export const ENGINES = [
  { engine: "pglite" as const },
  ...(serverUrl ? [{ engine: "postgres" as const }] : []),
];

/**
 * Opens a migrated database for the enclosing `describe` and empties the tables the API
 * writes before each test. Returns a getter, since the handle exists only after `beforeAll`.
 */
export function useDatabase(engine: "pglite" | "postgres"): () => DatabaseHandle {
  let handle: DatabaseHandle | undefined;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    let url: string | undefined;
    if (engine === "postgres" && serverUrl) {
      const database = await createTestDatabase(serverUrl);
      drop = database.drop;
      url = database.url;
    }
    handle = await openDatabase({ url, dataDir: "memory://" });
    await handle.migrate();
  });

  beforeEach(async () => {
    await handle?.db.execute(
      "truncate users, sessions, api_tokens, audit_log, webhook_deliveries, settings, login_failures cascade",
    );
  });

  afterAll(async () => {
    await handle?.close();
    await drop?.();
  });

  return () => {
    if (!handle) throw new Error("database is not open yet: call it inside a test");
    return handle;
  };
}

/** An app with the API's error handling, for mounting the routes under test. */
export function testApp(): Hono {
  const app = new Hono();
  app.onError(errorHandler());
  app.notFound(notFoundHandler);
  return app;
}

/** Hashing once keeps tests fast: scrypt takes about 0.1 s per hash by design. */
let passwordHash: Promise<string> | undefined;
export const TEST_PASSWORD = "correct horse battery staple";

export async function seedUser(handle: DatabaseHandle, username: string, role: UserRole) {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  return createUser(handle.db, { username, passwordHash: await passwordHash, role });
}

/** Reads a JSON response body as the type the test expects. */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface ErrorJson {
  code: string;
  message: string;
  details: { issues?: Array<{ path: string; message: string }>; [key: string]: unknown } | null;
}

/** Reads the `error` object of an error response. */
export async function errorOf(response: Response): Promise<ErrorJson> {
  return (await json<{ error: ErrorJson }>(response)).error;
}
