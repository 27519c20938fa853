/** Kind of failure in a request to a registry. */
export type RegistryErrorKind =
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "rate_limited"
  | "protocol"
  | "network"
  | "timeout";

export interface RegistryErrorDetails {
  kind: RegistryErrorKind;
  /** Registry name or base URL, never with credentials. */
  registry: string;
  repository?: string | undefined;
  /** HTTP status, when the registry sent a response. */
  status?: number | undefined;
  /** Seconds to wait before the next request; set for `rate_limited`. */
  retryAfterSeconds?: number | undefined;
  cause?: unknown;
}

/**
 * A failed registry call. The message names the registry, the repository and what to do; it
 * never contains a credential.
 */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  readonly kind: RegistryErrorKind;
  readonly registry: string;
  readonly repository: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details: RegistryErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.registry = details.registry;
    this.repository = details.repository;
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** Tells whether `error` is a `RegistryError`, optionally of one kind. */
export function isRegistryError(error: unknown, kind?: RegistryErrorKind): error is RegistryError {
  return error instanceof RegistryError && (kind === undefined || error.kind === kind);
}
