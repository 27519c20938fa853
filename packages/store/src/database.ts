import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema.js";

/** A drizzle database over either engine; queries are written once against this type. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseEngine = "postgres" | "pglite";

/** An open database with the means to migrate and close it. */
export interface DatabaseHandle {
  db: Database;
  engine: DatabaseEngine;
  /** Where the data lives: the server URL without its password, or the data directory. */
  location: string;
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A Postgres server URL. Without it the embedded engine is used. */
  url?: string | undefined;
  /** Data directory of the embedded engine; `memory://` keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Maximum connections to a Postgres server. */
  maxConnections?: number | undefined;
}

/** Folder of the committed drizzle-kit migrations, beside `src/` and `dist/`. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Opens the database: a Postgres server when `url` is given, else embedded PGlite. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    return openPostgres(options.url, options.maxConnections ?? 10);
  }
  return openPglite(options.dataDir ?? "./.berth/db");
}

function openPostgres(url: string, max: number): DatabaseHandle {
  const client = postgres(url, { max, onnotice: () => {} });
  const db = drizzlePostgres(client, { schema });
  return {
    db,
    engine: "postgres",
    location: redactPassword(url),
    migrate: () => migratePostgres(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith("memory://");
  if (!inMemory) {
    await mkdir(dataDir, { recursive: true });
  }
  const client = await PGlite.create(inMemory ? dataDir : path.resolve(dataDir));
  const db = drizzlePglite(client, { schema });
  return {
    db,
    engine: "pglite",
    location: inMemory ? dataDir : path.resolve(dataDir),
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER }),
    close: () => client.close(),
  };
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = "***";
    }
    return parsed.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
