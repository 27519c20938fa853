import { notFound, toStoreError } from "../errors.js";

/** Runs a query and rethrows whatever it throws as a `StoreError`. */
export async function withStoreErrors<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    throw toStoreError(error);
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are uuids; anything else cannot name a row, so lookups treat it as not found. */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Throws `StoreError` `not_found` for an id that is not a uuid, before Postgres rejects it. */
export function requireUuid(table: string, id: string): void {
  if (!isUuid(id)) {
    throw notFound(table, id);
  }
}
