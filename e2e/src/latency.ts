/**
 * End-to-end latency of one push: from the webhook request to the new instance passing its
 * health gate, split into the engine's share (pull, create, start) and the rest.
 */

export interface LogEntry {
  at: string;
  step: string | null;
  message: string;
}

export interface PushTiming {
  /** Webhook request sent → health gate passed, in ms. */
  totalMs: number;
  /** Resolve finished → container started: the engine pulling, creating and starting. */
  engineMs: number;
  /** `totalMs - engineMs`: Berth's own share, the health gate included. */
  berthMs: number;
}

/** Splits one deploy's log into the timing above; throws naming the step that is missing. */
export function timePush(sentAt: number, entries: readonly LogEntry[]): PushTiming {
  const resolved = lastOf(entries, "resolve");
  const started = lastOf(entries, "start");
  const passed = entries.find((e) => e.step === "health" && /passed/.test(e.message));
  if (!passed) {
    throw new Error("the deploy log has no 'health gate passed' line: the deploy did not pass");
  }
  const totalMs = Date.parse(passed.at) - sentAt;
  const engineMs = Date.parse(started.at) - Date.parse(resolved.at);
  return { totalMs, engineMs, berthMs: totalMs - engineMs };
}

function lastOf(entries: readonly LogEntry[], step: string): LogEntry {
  const found = entries.filter((e) => e.step === step).at(-1);
  if (!found) {
    throw new Error(`the deploy log has no line for step ${step}`);
  }
  return found;
}

/** Returns the `p`th percentile (0-100) of `values` by the nearest-rank method. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    throw new Error("percentile of no values: measure at least one push");
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}
