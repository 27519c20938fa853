/** Steps of a deploy, in order; a `DeployError` names the one that failed. */
export const DEPLOY_STEPS = [
  "resolve",
  "pull",
  "create",
  "start",
  "health",
  "proxy",
  "retire",
  "notify",
] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** A call to the Docker Engine API failed; `statusCode` is the engine's HTTP status, if any. */
export class DockerError extends Error {
  override readonly name = "DockerError";
  readonly operation: string;
  readonly statusCode: number | undefined;

  constructor(
    operation: string,
    message: string,
    details: { statusCode?: number | undefined; cause?: unknown } = {},
  ) {
    super(`docker ${operation} failed: ${message}`, { cause: details.cause });
    this.operation = operation;
    this.statusCode = details.statusCode;
  }

  /** True when the name is taken: Docker returns 409, podman 4 returns 500 "… is already in use". */
  get conflict(): boolean {
    return this.statusCode === 409 || /already in use/i.test(this.message);
  }
}

/** A call to Nginx Proxy Manager failed; the message is NPM's own `error.message`. */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
  readonly statusCode: number | undefined;
  readonly kind: "auth" | "conflict" | "not_found" | "invalid" | "other";

  constructor(
    message: string,
    details: {
      statusCode?: number | undefined;
      kind: ProxyError["kind"];
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.statusCode = details.statusCode;
    this.kind = details.kind;
  }
}

/** A deploy failed at `step`; the message is what the deploy log and the row show. */
export class DeployError extends Error {
  override readonly name = "DeployError";
  readonly step: DeployStep;

  constructor(step: DeployStep, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.step = step;
  }
}

/** Returns the message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Returns the message of the innermost `cause`: the system's own words (`connect
 * ECONNREFUSED 127.0.0.1:5432`) rather than a wrapper's "fetch failed" or drizzle's
 * "Failed query: …" with the SQL text.
 */
export function rootCauseMessage(error: unknown): string {
  let current = error;
  for (let depth = 0; depth < 5; depth += 1) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (!(cause instanceof Error)) break;
    current = cause;
  }
  return messageOf(current);
}

/** A manual operation cannot run on the deploy or instance in its current state. */
export class OperationError extends Error {
  override readonly name = "OperationError";
  readonly kind: "conflict" | "invalid";

  constructor(kind: OperationError["kind"], message: string) {
    super(message);
    this.kind = kind;
  }
}
