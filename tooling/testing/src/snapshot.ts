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
  const tables = Object.entries(schema).filter(
    (entry): entry is [string, PgTable] => is(entry[1], PgTable) && !skipped.has(entry[0]),
  );
  if (tables.length === 0) {
    throw new Error("snapshotTables found no drizzle tables: pass the schema module's exports");
  }

  // All queries start at once, so a connection pool runs them in parallel and PGlite in turn.
  const contents = await Promise.all(tables.map(([, table]) => db.select().from(table)));
  const snapshot: TableSnapshot = {};
  tables.forEach(([name], index) => {
    const rows = [...(contents[index] ?? [])];
    snapshot[name] = rows.sort((left, right) => sortKey(left).localeCompare(sortKey(right)));
  });
  return snapshot;
}

function sortKey(row: unknown): string {
  return JSON.stringify(row, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
}
