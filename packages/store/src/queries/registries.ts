import { asc, eq } from "drizzle-orm";
import { notFound } from "../errors.js";
import { type RegistryType, registries } from "../schema.js";
import type { Secrets } from "../secrets.js";
import type { Executor } from "./candidates.js";
import { isUuid, requireUuid, withStoreErrors } from "./run.js";

type RegistryRow = typeof registries.$inferSelect;

/** A registry as list and get functions return it: the token only as `tokenSet`. */
export interface Registry {
  id: string;
  name: string;
  type: RegistryType;
  url: string;
  username: string | null;
  tokenSet: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface RegistryInput {
  name: string;
  type: RegistryType;
  url: string;
  username?: string | null | undefined;
  /** Stored encrypted; `null` or absent stores none. */
  token?: string | null | undefined;
}

/** A change to a registry; `token: null` removes the token, leaving it out keeps it. */
export type RegistryPatch = Partial<RegistryInput>;

/** Credentials in plain text, for registry clients only. */
export interface RegistryCredentials {
  username: string | null;
  token: string | null;
}

export async function listRegistries(db: Executor): Promise<Registry[]> {
  const rows = await withStoreErrors(() =>
    db.select().from(registries).orderBy(asc(registries.name)),
  );
  return rows.map(toRegistry);
}

/** Throws `StoreError` `not_found` when no registry has this id. */
export async function getRegistry(db: Executor, id: string): Promise<Registry> {
  return toRegistry(await readRow(db, "id", id));
}

/** Throws `StoreError` `not_found` when no registry has this name. */
export async function getRegistryByName(db: Executor, name: string): Promise<Registry> {
  return toRegistry(await readRow(db, "name", name));
}

/** Throws `StoreError` `unique_violation` when the name is taken. */
export async function createRegistry(
  db: Executor,
  secrets: Secrets,
  input: RegistryInput,
): Promise<Registry> {
  const [row] = await withStoreErrors(() =>
    db
      .insert(registries)
      .values({
        name: input.name,
        type: input.type,
        url: input.url,
        username: input.username ?? null,
        tokenEncrypted: input.token ? secrets.encrypt(input.token) : null,
      })
      .returning(),
  );
  if (!row) {
    throw notFound("registry", input.name);
  }
  return toRegistry(row);
}

export async function updateRegistry(
  db: Executor,
  secrets: Secrets,
  id: string,
  patch: RegistryPatch,
): Promise<Registry> {
  requireUuid("registry", id);
  requireUuid("registry", id);
  const { token, ...plain } = patch;
  const values: Partial<typeof registries.$inferInsert> = { ...plain, updatedAt: new Date() };
  if (token !== undefined) {
    values.tokenEncrypted = token ? secrets.encrypt(token) : null;
  }
  const [row] = await withStoreErrors(() =>
    db.update(registries).set(values).where(eq(registries.id, id)).returning(),
  );
  if (!row) {
    throw notFound("registry", id);
  }
  return toRegistry(row);
}

/** Throws `StoreError` `foreign_key_violation` while projects still use the registry. */
export async function deleteRegistry(db: Executor, id: string): Promise<void> {
  requireUuid("registry", id);
  const rows = await withStoreErrors(() =>
    db.delete(registries).where(eq(registries.id, id)).returning({ id: registries.id }),
  );
  if (rows.length === 0) {
    throw notFound("registry", id);
  }
}

/** Decrypts a registry's token; for registry clients, never for API responses. */
export async function getRegistryCredentials(
  db: Executor,
  secrets: Secrets,
  id: string,
): Promise<RegistryCredentials> {
  const row = await readRow(db, "id", id);
  return {
    username: row.username,
    token: row.tokenEncrypted === null ? null : secrets.decrypt(row.tokenEncrypted),
  };
}

async function readRow(db: Executor, by: "id" | "name", value: string): Promise<RegistryRow> {
  if (by === "id" && !isUuid(value)) {
    throw notFound("registry", value);
  }
  const column = by === "id" ? registries.id : registries.name;
  const [row] = await withStoreErrors(() => db.select().from(registries).where(eq(column, value)));
  if (!row) {
    throw notFound("registry", value);
  }
  return row;
}

function toRegistry(row: RegistryRow): Registry {
  const { tokenEncrypted, ...plain } = row;
  return { ...plain, tokenSet: tokenEncrypted !== null };
}
