import type { LoginFailureKey } from "@berth/store";

/**
 * Limits failed logins per key (user name, client address) in a sliding window: a key that
 * reached the limit is blocked until its oldest failure leaves the window.
 *
 * NOTE: `createLoginLimiter` counts in one process's memory, so each process counts on its
 * own and a restart clears the counts. The API's default, `createStoreLoginLimiter`, keeps
 * them in the database instead.
 */
export interface LoginLimiterOptions {
  /** Failures allowed per key within the window. */
  maxFailures: number;
  windowMs: number;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
  /** Keys tracked at most; the oldest is dropped past this, bounding memory under a spray. */
  maxKeys?: number;
}

/** The outcome of `LoginLimiter.consume`. */
export type LoginAttempt =
  | { counted: true /** Time the attempt was counted at, for `refund`. */; at: number }
  | { counted: false; retryAfterSeconds: number };

export interface LoginLimiter {
  /**
   * Counts a login attempt as a failure before the password is checked, so parallel attempts
   * cannot get past the limit. Counts nothing when the key already reached the limit.
   */
  consume(key: LoginFailureKey): Promise<LoginAttempt>;
  /** Seconds until `key` may try again, or 0 when it is not blocked. */
  retryAfterSeconds(key: LoginFailureKey): Promise<number>;
  /** Takes back the attempt counted at `at`, e.g. when the login succeeded. */
  refund(key: LoginFailureKey, at: number): Promise<void>;
  /** Forgets a key's failures after a successful login. */
  reset(key: LoginFailureKey): Promise<void>;
}

/**
 * Computes the seconds until a key with `count` failures in the window, the oldest at
 * `oldest`, may try again, or 0 when it is under the limit.
 */
export function secondsUntilAllowed(
  failures: { count: number; oldest: number | undefined },
  options: { maxFailures: number; windowMs: number },
  now: number,
): number {
  if (failures.count < options.maxFailures || failures.oldest === undefined) {
    return 0;
  }
  return Math.ceil((failures.oldest + options.windowMs - now) / 1000);
}

/** Throws when the limit or the window is not a positive whole number, naming `component`. */
export function assertLimiterOptions(
  component: string,
  options: Pick<LoginLimiterOptions, "maxFailures" | "windowMs">,
): void {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`${component}: ${name} must be a positive integer, got ${value}`);
    }
  }
}

/** Creates a limiter that counts in this process's memory. */
export function createLoginLimiter(options: LoginLimiterOptions): LoginLimiter {
  assertLimiterOptions("createLoginLimiter", {
    maxFailures: options.maxFailures,
    windowMs: options.windowMs,
  });
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const failures = new Map<string, number[]>();
  const mapKey = (key: LoginFailureKey) => `${key.kind}:${key.key}`;

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

  function waitSeconds(key: string): number {
    const times = recent(key);
    return secondsUntilAllowed({ count: times.length, oldest: times[0] }, options, now());
  }

  return {
    async consume(key) {
      const id = mapKey(key);
      const times = recent(id);
      if (times.length >= options.maxFailures) {
        return { counted: false, retryAfterSeconds: waitSeconds(id) };
      }

      const at = now();
      // Re-inserting moves the key to the end, so the eviction below drops the least recent.
      failures.delete(id);
      failures.set(id, [...times, at]);
      while (failures.size > maxKeys) {
        const oldestKey = failures.keys().next().value;
        if (oldestKey === undefined) break;
        failures.delete(oldestKey);
      }
      return { counted: true, at };
    },
    async retryAfterSeconds(key) {
      return waitSeconds(mapKey(key));
    },
    async refund(key, at) {
      const times = failures.get(mapKey(key)) ?? [];
      const index = times.indexOf(at);
      if (index >= 0) {
        times.splice(index, 1);
      }
    },
    async reset(key) {
      failures.delete(mapKey(key));
    },
  };
}
