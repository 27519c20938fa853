/**
 * Signals that abort with a parent signal and detach from it when their work ends.
 *
 * `AbortSignal.any` adds an entry to a set on each source signal, and on Node 20.20.2 the
 * entry stays until the source is collected. The poller's own signal lives as long as the
 * poller, so in the soak its set grew by about 1,000 entries a minute. A check's requests
 * combine the check's linked signal instead, and that set goes with the check.
 */
export interface AbortLink {
  /** The signal that aborts when the parent aborts, with the parent's reason. */
  readonly signal: AbortSignal;
  /** Detaches from the parent. Call it when the work that uses `signal` has ended. */
  release(): void;
}

/** Creates a signal that follows `parent` until released. */
export function linkAbort(parent: AbortSignal): AbortLink {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => parent.removeEventListener("abort", onAbort),
  };
}
