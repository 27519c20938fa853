import { randomBytes } from "node:crypto";
import postgres from "postgres";

/** A database made for one test file, dropped by `drop()`. */
export interface TestDatabase {
  /** Connection URL of the fresh database. */
  url: string;
  /** Drops the database, closing whatever connections are still open to it. */
  drop(): Promise<void>;
}

/**
 * Returns the Postgres server tests should use: `TEST_DATABASE_URL`, else `DATABASE_URL`,
 * else `undefined` (tests then run on the embedded engine).
 */
export function testServerUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.TEST_DATABASE_URL || env.DATABASE_URL || undefined;
}

/**
 * Creates an empty database on the server at `serverUrl`, named `berth_test_<random>`, so
 * each test file starts from nothing and files never see each other's rows.
 */
export async function createTestDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `berth_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
