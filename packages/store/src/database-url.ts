import { StoreError } from "./errors.js";

/** The parts of a Postgres URL that may be shown to a person: no password. */
export interface DatabaseServer {
  host: string;
  port: number;
  database: string;
  /** The URL with its password replaced by `***`. */
  redacted: string;
}

const EXPECTED_FORM = "postgres://USER:PASSWORD@HOST:5432/DATABASE";

/**
 * Parses a Postgres URL, failing with a message that never contains the URL itself, because
 * a malformed URL may still hold a password.
 */
export function parseDatabaseUrl(url: string): DatabaseServer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StoreError(`DATABASE_URL is not a valid URL: expected ${EXPECTED_FORM}`, {
      kind: "connection",
      cause: error,
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StoreError(
      `DATABASE_URL has the scheme "${parsed.protocol}" but must start with postgres:// (expected ${EXPECTED_FORM})`,
      { kind: "connection" },
    );
  }
  if (!parsed.hostname) {
    throw new StoreError(`DATABASE_URL names no host: expected ${EXPECTED_FORM}`, {
      kind: "connection",
    });
  }

  const redacted = new URL(parsed.toString());
  if (redacted.password) {
    redacted.password = "***";
  }
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 5432,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "(default)",
    redacted: redacted.toString(),
  };
}

/** `host:port/database`, for messages. */
export function describeServer(server: DatabaseServer): string {
  return `${server.host}:${server.port}/${server.database}`;
}
