/** Kind of store failure, which the API maps to 404, 409 or 422. */
export type StoreErrorKind =
  | "not_found"
  | "unique_violation"
  | "foreign_key_violation"
  | "check_violation"
  | "not_null_violation"
  | "connection"
  | "other";

/** Postgres SQLSTATE codes that map to a kind; see the Postgres manual, appendix A. */
const KIND_BY_SQLSTATE: Record<string, StoreErrorKind> = {
  "23505": "unique_violation",
  "23503": "foreign_key_violation",
  // restrict_violation: a delete blocked by an `on delete restrict` foreign key.
  "23001": "foreign_key_violation",
  "23514": "check_violation",
  "23502": "not_null_violation",
  "08000": "connection",
  "08001": "connection",
  "08003": "connection",
  "08006": "connection",
  "57P01": "connection",
  // crash_shutdown, and cannot_connect_now: the server is starting up or shutting down.
  "57P02": "connection",
  "57P03": "connection",
};

/** An error from the store, with the Postgres code and constraint when there is one. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly kind: StoreErrorKind;
  /** Postgres SQLSTATE, e.g. `23505`. */
  readonly code: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;

  constructor(
    message: string,
    details: {
      kind: StoreErrorKind;
      code?: string | undefined;
      constraint?: string | undefined;
      table?: string | undefined;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.kind = details.kind;
    this.code = details.code;
    this.constraint = details.constraint;
    this.table = details.table;
  }
}

/** Thrown when a row looked up by id or name does not exist. */
export function notFound(table: string, key: string): StoreError {
  return new StoreError(`${table} ${key} not found`, { kind: "not_found", table });
}

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  table?: unknown;
  table_name?: unknown;
  message?: unknown;
}

/**
 * Converts an error thrown by drizzle, postgres.js or PGlite into a `StoreError`.
 * Drizzle wraps the driver's error in `cause`, so the chain is searched for a SQLSTATE.
 */
export function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) {
    return error;
  }
  const driverError = findDriverError(error);
  const code = typeof driverError?.code === "string" ? driverError.code : undefined;
  const constraint = stringOf(driverError?.constraint_name ?? driverError?.constraint);
  const table = stringOf(driverError?.table_name ?? driverError?.table);
  const kind = (code && KIND_BY_SQLSTATE[code]) || connectionKind(error) || "other";
  const driverMessage = stringOf(driverError?.message) ?? messageOf(error);
  const message = constraint ? `${driverMessage} (constraint ${constraint})` : driverMessage;
  return new StoreError(message, { kind, code, constraint, table, cause: error });
}

function findDriverError(error: unknown): DriverError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth += 1) {
    const candidate = current as DriverError & { cause?: unknown };
    if (typeof candidate.code === "string" && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return candidate;
    }
    current = candidate.cause;
  }
  return undefined;
}

function connectionKind(error: unknown): StoreErrorKind | undefined {
  const codes = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "ETIMEDOUT",
    "CONNECTION_CLOSED",
    "CONNECTION_ENDED",
    "CONNECTION_DESTROYED",
    "CONNECT_TIMEOUT",
  ];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && codes.includes(code)) {
      return "connection";
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
