import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";

/** A drizzle database, or anything else that can select every row of a table. */
export interface RowReader {
  select(): { from(table: PgTable): PromiseLike<unknown[]> };
}

/** Every row of every table, by the table's export name. */
export type TableSnapshot = Record<string, unknown[]>;

/**
 * Reads every row of every drizzle table among `schema`'s exports, so a test can compare the
 * database before and after a rejected request with `toEqual`. Rows are sorted by their JSON
 * text, because Postgres returns rows without `ORDER BY` in no promised order. Tables named in
 * `except` (export names, e.g. `auditLog`) are left out.
 */
export async function snapshotTables(
  db: RowReader,
  schema: Record<string, unknown>,
  options: { except?: readonly string[] } = {},
): Promise<TableSnapshot> {
  const skipped = new Set(options.except ?? []);
  const snapshot: TableSnapshot = {};
  for (const [name, table] of Object.entries(schema)) {
    if (!is(table, PgTable) || skipped.has(name)) {
      continue;
    }
    const rows = await db.select().from(table);
    snapshot[name] = [...rows].sort((left, right) => sortKey(left).localeCompare(sortKey(right)));
  }
  if (Object.keys(snapshot).length === 0) {
    throw new Error("snapshotTables found no drizzle tables: pass the schema module's exports");
  }
  return snapshot;
}

function sortKey(row: unknown): string {
  return JSON.stringify(row, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
}
