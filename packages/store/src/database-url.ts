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
  } catch {
    const host = guessHost(url);
    const where = host ? ` (host ${host})` : "";
    // The cause is left out: Node's "Invalid URL" error carries the whole input.
    throw new StoreError(`DATABASE_URL${where} is not a valid URL: expected ${EXPECTED_FORM}`, {
      kind: "connection",
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

/**
 * Returns the text between the last `@` and the next `:`, `/` or `?` of a URL that does not
 * parse, so the message can name the host without ever showing the user or password.
 */
function guessHost(url: string): string | undefined {
  const afterCredentials = url.slice(url.lastIndexOf("@") + 1).replace(/^[a-z]+:\/\//i, "");
  const host = /^[A-Za-z0-9.-]+/.exec(afterCredentials)?.[0];
  return host && url.includes("@") ? host : undefined;
}

/** `host:port/database`, for messages. */
export function describeServer(server: DatabaseServer): string {
  return `${server.host}:${server.port}/${server.database}`;
}
