/**
 * Counts failed logins per key (client address, user name) in a sliding window and blocks a
 * key that reached the limit until its oldest failure leaves the window.
 *
 * NOTE: the counts live in this process's memory, so each replica counts on its own and a
 * restart clears them.
 */
export interface LoginLimiterOptions {
  /** Failures allowed per key within the window. */
  maxFailures: number;
  windowMs: number;
  now?: () => number;
  /** Keys tracked at most; the oldest is dropped past this, bounding memory under a spray. */
  maxKeys?: number;
}

export interface LoginLimiter {
  /** Seconds until any of `keys` may try again, or 0 when none is blocked. */
  retryAfterSeconds(keys: readonly string[]): number;
  recordFailure(keys: readonly string[]): void;
  /** Forgets a key's failures after a successful login. */
  reset(key: string): void;
}

export function createLoginLimiter(options: LoginLimiterOptions): LoginLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const failures = new Map<string, number[]>();

  function recent(key: string): number[] {
    const cutoff = now() - options.windowMs;
    const times = (failures.get(key) ?? []).filter((time) => time > cutoff);
    if (times.length === 0) {
      failures.delete(key);
    } else {
      failures.set(key, times);
    }
    return times;
  }

  return {
    retryAfterSeconds(keys) {
      let waitMs = 0;
      for (const key of keys) {
        const times = recent(key);
        const oldest = times[0];
        if (times.length >= options.maxFailures && oldest !== undefined) {
          waitMs = Math.max(waitMs, oldest + options.windowMs - now());
        }
      }
      return Math.ceil(waitMs / 1000);
    },
    recordFailure(keys) {
      for (const key of keys) {
        const times = recent(key);
        times.push(now());
        failures.delete(key);
        failures.set(key, times.slice(-options.maxFailures));
      }
      while (failures.size > maxKeys) {
        const oldestKey = failures.keys().next().value;
        if (oldestKey === undefined) break;
        failures.delete(oldestKey);
      }
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
