/** The result of one stage's poll, compared with the stage's stored state. */
export type Observation =
  | { kind: "first"; tag: string | null; digest: string | null }
  | { kind: "unchanged" }
  | { kind: "new"; tag: string; digest: string };

export interface StoredState {
  initialized: boolean;
  lastTag: string | null;
  lastDigest: string | null;
}

/**
 * Compares what a poll selected with what the stage last saw. The first poll of a stage
 * records what exists and reports nothing new, so adding a stage never deploys an old tag.
 * The exception is a webhook check that selects the tag just pushed (`pushedTag`). That tag
 * is new by definition, and taking it as the baseline would lose the push. After the first
 * poll, a different tag, or the same tag with a different manifest digest (a re-pushed
 * mutable tag on a digest stage), is new. No selection is never new.
 */
export function observe(
  state: StoredState,
  selected: { tag: string; digest: string } | null,
  pushedTag?: string,
): Observation {
  if (!state.initialized) {
    if (selected && pushedTag !== undefined && selected.tag === pushedTag) {
      return { kind: "new", tag: selected.tag, digest: selected.digest };
    }
    return { kind: "first", tag: selected?.tag ?? null, digest: selected?.digest ?? null };
  }
  if (!selected) {
    return { kind: "unchanged" };
  }
  if (selected.tag === state.lastTag && selected.digest === state.lastDigest) {
    return { kind: "unchanged" };
  }
  return { kind: "new", tag: selected.tag, digest: selected.digest };
}

export interface BackoffOptions {
  /** Delay after the first failure. */
  baseMs: number;
  /** Maximum delay, however long the streak. */
  capMs: number;
  /** Returns a number in [0, 1). */
  random: () => number;
}

/**
 * Returns how long a stage waits after its `failureStreak`-th failure in a row: the base
 * doubled per failure, capped, then scaled by a random factor in [0.5, 1) ("equal
 * jitter"), so stages that failed together do not retry together.
 */
export function backoffDelayMs(failureStreak: number, options: BackoffOptions): number {
  const exponent = Math.min(Math.max(failureStreak - 1, 0), 30);
  const delay = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.round(delay / 2 + (delay / 2) * options.random());
}

/**
 * Returns the time until which a registry that returned 429 stays paused. The server's
 * `Retry-After` is honoured, and a missing or zero value still waits `fallbackMs`, because
 * retrying at once is what got the 429. Up to 10% jitter is added either way.
 */
export function rateLimitPauseUntil(
  now: Date,
  retryAfterSeconds: number | undefined,
  options: { fallbackMs: number; capMs: number; random: () => number },
): Date {
  const requested = retryAfterSeconds && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 0;
  const wait = Math.min(options.capMs, requested || options.fallbackMs);
  return new Date(now.getTime() + wait + Math.floor(wait * 0.1 * options.random()));
}

/** Returns the later of two times. */
export function later(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
