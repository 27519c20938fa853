import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { describeServer, parseDatabaseUrl } from "./database-url.js";
import { StoreError, toStoreError } from "./errors.js";
import * as schema from "./schema.js";

/** A drizzle database over either engine; queries are written once against this type. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseEngine = "postgres" | "pglite";

/** Migration level of a database compared with the migrations this build ships. */
export interface MigrationStatus {
  /** Tag of the newest applied migration, e.g. `0001_settings_secret_key_check`; null before any. */
  current: string | null;
  applied: number;
  /** Migrations this build ships that the database has not applied yet. */
  pending: number;
}

/** Database state as the health route reports it. */
export interface DatabaseStatus {
  engine: DatabaseEngine;
  reachable: boolean;
  migration: MigrationStatus | null;
}

/** An open database with the means to migrate and close it. */
export interface DatabaseHandle {
  db: Database;
  engine: DatabaseEngine;
  /** Location of the data: the server URL without its password, or the data directory. */
  location: string;
  migrate(): Promise<void>;
  /** Checks that the database responds and reads its migration level. An unreachable
   * database gives `reachable: false`, not an error. */
  status(): Promise<DatabaseStatus>;
  close(): Promise<void>;
  /** Embedded engine only: a tarball of the data directory, which `loadDataDir` reads back. */
  dumpDataDir?: () => Promise<Blob>;
}

export interface OpenDatabaseOptions {
  /** A Postgres server URL. Without it the embedded engine is used. */
  url?: string | undefined;
  /** Data directory of the embedded engine; `memory://` keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Maximum connections to a Postgres server. */
  maxConnections?: number | undefined;
  /** Seconds to wait for a Postgres server to accept the first connection. */
  connectTimeoutSeconds?: number | undefined;
  /** A PGlite data directory dump (`dumpDataDir()`) to start the embedded engine from. */
  loadDataDir?: Blob | undefined;
}

/** Folder of the committed drizzle-kit migrations, beside `src/` and `dist/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

/**
 * Opens the database: a Postgres server when `url` is given, else embedded PGlite.
 * A server that cannot be reached fails here, with a `StoreError` of kind `connection`
 * whose message names the host and port (never the password) and what to check.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    return openPostgres(options.url, options);
  }
  return openPglite(options.dataDir ?? "./.berth/db", options.loadDataDir);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const server = parseDatabaseUrl(url);
  const client = postgres(url, {
    max: options.maxConnections ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    onnotice: () => {},
  });
  const db = drizzlePostgres(client, { schema });

  try {
    await client`select 1`;
  } catch (error) {
    await client.end({ timeout: 1 });
    throw new StoreError(
      `cannot connect to the Postgres server at ${describeServer(server)}: ${connectionFailure(error)}; check that the server is running and that DATABASE_URL has the right host, port, user, password and database`,
      { kind: "connection", cause: error },
    );
  }

  return {
    db,
    engine: "postgres",
    location: server.redacted,
    migrate: () => migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    status: () => readStatus(db, "postgres"),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string, loadDataDir: Blob | undefined): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith("memory://");
  const location = inMemory ? dataDir : path.resolve(dataDir);
  if (!inMemory) {
    await mkdir(location, { recursive: true });
  }
  const client = await PGlite.create(location, loadDataDir ? { loadDataDir } : {});
  const db = drizzlePglite(client, { schema });
  return {
    db,
    engine: "pglite",
    location,
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    status: () => readStatus(db, "pglite"),
    close: () => client.close(),
    dumpDataDir: () => client.dumpDataDir("none"),
  };
}

/** Describes why a first connection failed in a few words, or returns the driver's message. */
function connectionFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return "connection timed out";
    default:
      return toStoreError(error).message.split("\n")[0] ?? String(code);
  }
}

interface Journal {
  entries: Array<{ tag: string }>;
}

/** Tags of the migrations this build ships, oldest first. */
export async function shippedMigrations(): Promise<string[]> {
  const text = await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8");
  const journal = JSON.parse(text) as Journal;
  return journal.entries.map((entry) => entry.tag);
}

async function readStatus(db: Database, engine: DatabaseEngine): Promise<DatabaseStatus> {
  try {
    await db.execute(sql`select 1`);
  } catch {
    return { engine, reachable: false, migration: null };
  }
  return { engine, reachable: true, migration: await readMigrationStatus(db) };
}

/** Drizzle records each applied migration as one row of `drizzle.__drizzle_migrations`. */
async function readMigrationStatus(db: Database): Promise<MigrationStatus> {
  const shipped = await shippedMigrations();
  let applied = 0;
  try {
    const result = await db.execute(
      sql`select count(*)::int as count from drizzle.__drizzle_migrations`,
    );
    const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
    applied = Number((rows[0] as { count?: unknown } | undefined)?.count ?? 0);
  } catch {
    // The table does not exist before the first migration.
    applied = 0;
  }
  return {
    current: applied > 0 ? (shipped[applied - 1] ?? null) : null,
    applied,
    pending: Math.max(shipped.length - applied, 0),
  };
}
