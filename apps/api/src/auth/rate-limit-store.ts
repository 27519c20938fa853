import {
  countLoginFailure,
  type Database,
  deleteLoginFailures,
  deleteStaleLoginFailures,
  type LoginFailureKey,
  readLoginFailures,
  removeLoginFailure,
} from "@berth/store";
import {
  assertLimiterOptions,
  type LoginLimiter,
  type LoginLimiterOptions,
  secondsUntilAllowed,
} from "./rate-limit.js";

export interface StoreLoginLimiterOptions extends Omit<LoginLimiterOptions, "maxKeys"> {
  db: Database;
  /** Minimum time between two deletions of keys past the window, one minute by default. */
  sweepIntervalMs?: number;
}

/**
 * Creates a limiter that keeps its counts in the database, so every Berth process on it
 * shares them and a restart keeps them. Keys past the window are deleted from a login, at
 * most once per `sweepIntervalMs` per limiter.
 *
 * NOTE: each process measures the window with its own clock (`now`), so clock skew between
 * hosts moves a key's window by that skew.
 */
export function createStoreLoginLimiter(options: StoreLoginLimiterOptions): LoginLimiter {
  const { db, maxFailures, windowMs } = options;
  const now = options.now ?? Date.now;
  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
  assertLimiterOptions("createStoreLoginLimiter", { maxFailures, windowMs });
  let lastSweep = Number.NEGATIVE_INFINITY;

  async function sweep(at: number): Promise<void> {
    if (at - lastSweep < sweepIntervalMs) {
      return;
    }
    lastSweep = at;
    await deleteStaleLoginFailures(db, new Date(at - windowMs));
  }

  async function retryAfterSeconds(key: LoginFailureKey, at: number): Promise<number> {
    const failures = await readLoginFailures(db, key, new Date(at - windowMs));
    const oldest = failures.oldest?.getTime();
    return secondsUntilAllowed({ count: failures.count, oldest }, options, at);
  }

  return {
    async consume(key) {
      const at = now();
      await sweep(at);
      const window = { at: new Date(at), since: new Date(at - windowMs), maxFailures };
      if (await countLoginFailure(db, key, window)) {
        return { counted: true, at };
      }
      // The oldest failure may leave the window between the two queries, so a blocked attempt
      // reports at least one second.
      return { counted: false, retryAfterSeconds: Math.max(1, await retryAfterSeconds(key, at)) };
    },
    retryAfterSeconds: (key) => retryAfterSeconds(key, now()),
    refund: (key, at) => removeLoginFailure(db, key, new Date(at)),
    reset: (key) => deleteLoginFailures(db, key),
  };
}
