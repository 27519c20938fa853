/** Docker Hub's pull allowance, from `ratelimit-limit` / `ratelimit-remaining: N;w=S`. */
export interface RateLimit {
  limit: number | undefined;
  remaining: number;
  /** Window length in seconds, from `w=`. */
  windowSeconds: number | undefined;
}

/** Wait when a 429 gives no usable `Retry-After` (missing or 0): 30 s plus up to 50% jitter. */
const DEFAULT_BACKOFF_SECONDS = 30;
/** Upper bound for any wait, so a bad header cannot park a stage for days. */
export const MAX_BACKOFF_SECONDS = 3600;

/** Reads the pull allowance headers, or `undefined` when the registry sent none (no limit). */
export function parseRateLimit(headers: Headers): RateLimit | undefined {
  const remaining = parseCountAndWindow(headers.get("ratelimit-remaining"));
  if (!remaining) {
    return undefined;
  }
  const limit = parseCountAndWindow(headers.get("ratelimit-limit"));
  return {
    limit: limit?.count,
    remaining: remaining.count,
    windowSeconds: remaining.window ?? limit?.window,
  };
}

function parseCountAndWindow(value: string | null): { count: number; window?: number } | undefined {
  const match = value ? /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(value) : null;
  if (!match) {
    return undefined;
  }
  const window = match[2] === undefined ? undefined : Number(match[2]);
  return { count: Number(match[1]), ...(window === undefined ? {} : { window }) };
}

/**
 * Seconds to wait after a 429: `Retry-After` (seconds or an HTTP date), else Docker Hub's
 * `X-Retry-After` (a unix time). A missing, zero or past value still backs off 30–45 s,
 * random so that many stages do not retry in step. Every value is capped at one hour.
 */
export function retryAfterSeconds(
  headers: Headers,
  now = Date.now(),
  random = Math.random,
): number {
  const seconds = readRetryAfter(headers, now);
  if (seconds === undefined || seconds <= 0) {
    return Math.round(DEFAULT_BACKOFF_SECONDS * (1 + random() * 0.5));
  }
  return Math.min(Math.ceil(seconds), MAX_BACKOFF_SECONDS);
}

function readRetryAfter(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) {
      return Number(retryAfter);
    }
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) {
      return (date - now) / 1000;
    }
  }

  const hubReset = headers.get("x-retry-after")?.trim();
  if (hubReset && /^\d+$/.test(hubReset)) {
    return Number(hubReset) - now / 1000;
  }
  return undefined;
}
