/**
 * Kinds of poller error: `invalid_option` (createPoller was given a bad option), `lease_lost`
 * (another poller took a stage after this one's lease expired) and `missing_decrypt_secret` (a
 * registry has a token, but the poller was created without `decryptSecret`).
 */
export type PollerErrorKind = "invalid_option" | "lease_lost" | "missing_decrypt_secret";

/** An error raised by the poller itself, as opposed to one from a registry or the store. */
export class PollerError extends Error {
  override readonly name = "PollerError";
  readonly kind: PollerErrorKind;

  constructor(kind: PollerErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** Returns an error's message, falling back to its string form. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
