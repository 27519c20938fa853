import type { CheckSummary, Clock } from "./types.js";

export interface BusyRetryOptions {
  /** Checks of the busy stages after the first, at most. */
  retries: number;
  waitMs: number;
  clock: Clock;
  /** Ends the waiting at once; the summary then lists the stages still busy. */
  signal: AbortSignal;
}

/**
 * Runs a check, then checks again the stages another poller had leased, after a short
 * wait, a few times. A webhook can land while a cycle has the stage's lease, and that
 * cycle may have listed the tags before the push. Checking again once the lease is
 * released finds the new tag now rather than at the next cycle.
 */
export async function checkRetryingBusy(
  check: (stageIds: readonly string[]) => Promise<CheckSummary>,
  stageIds: readonly string[],
  options: BusyRetryOptions,
): Promise<CheckSummary> {
  let summary = await check(stageIds);
  for (let retry = 0; retry < options.retries && summary.busy.length > 0; retry += 1) {
    await wait(options.clock, options.waitMs, options.signal);
    if (options.signal.aborted) {
      break;
    }
    summary = merge(summary, await check(summary.busy));
  }
  return summary;
}

function merge(first: CheckSummary, retry: CheckSummary): CheckSummary {
  return {
    trigger: first.trigger,
    startedAt: first.startedAt,
    durationMs: retry.startedAt.getTime() + retry.durationMs - first.startedAt.getTime(),
    stages: first.stages + retry.stages,
    images: first.images + retry.images,
    candidates: first.candidates + retry.candidates,
    errors: first.errors + retry.errors,
    deferred: first.deferred + retry.deferred,
    busy: retry.busy,
    missing: [...first.missing, ...retry.missing],
  };
}

/** Resolves after `delayMs` on `clock`, or at once when `signal` aborts. */
function wait(clock: Clock, delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, delayMs);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
