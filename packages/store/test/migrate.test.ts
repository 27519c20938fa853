import { createTestDatabase, testServerUrl } from "@berth/testing";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, test } from "vitest";
import { openDatabase, settings } from "../src/index.js";

const serverUrl = testServerUrl();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.each([
  { engine: "pglite" as const },
  ...(serverUrl ? [{ engine: "postgres" as const }] : []),
])("migrations on $engine", ({ engine }) => {
  test("creates every table and the settings check", async () => {
    let url: string | undefined;
    if (engine === "postgres" && serverUrl) {
      const database = await createTestDatabase(serverUrl);
      cleanups.push(database.drop);
      url = database.url;
    }
    const handle = await openDatabase({ url, dataDir: "memory://" });
    cleanups.push(handle.close);

    await handle.migrate();

    const rows = await handle.db
      .select({ count: sql<number>`count(*)::int` })
      .from(sql`information_schema.tables`)
      .where(sql`table_schema = 'public'`);
    expect(rows[0]?.count).toBe(16);
    await expect(handle.db.insert(settings).values({ id: 2 })).rejects.toThrow();
  });
});
