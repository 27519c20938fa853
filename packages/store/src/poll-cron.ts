/**
 * Checks for the poll cron expression in settings, shared by the API and the YAML import.
 * They reject what the poller cannot run, and polls closer together than
 * `poll_interval_seconds` may be.
 */
import { Cron } from "croner";

/**
 * Minimum seconds between two polls, the same floor as `settings_poll_interval_check`.
 * NOTE: the poller does not enforce it, so it runs a closer cron written to the row directly.
 */
export const MIN_POLL_GAP_SECONDS = 10;

/**
 * Upcoming runs compared when looking for two closer than the minimum gap. Every minute that
 * matches has the same seconds, so a gap inside a minute shows within the first runs.
 * NOTE: a gap across a minute boundary (second 55, then second 0) is found only when two
 * matching minutes in a row fall within these runs.
 */
const SAMPLED_RUNS = 120;

const EXAMPLE = '"*/5 * * * *" (every 5 minutes)';

/**
 * Checks a poll cron expression the way the poller reads it: trimmed, then parsed by croner
 * in the process's time zone. Returns what is wrong with it and an example of a valid one,
 * or `undefined` when it is valid.
 */
export function pollCronProblem(expression: string, now = new Date()): string | undefined {
  const trimmed = expression.trim();
  if (trimmed === "") {
    return `empty cron expression: use null to poll every poll interval, or an expression such as ${EXAMPLE}`;
  }

  let cron: Cron;
  try {
    // No callback: croner only computes run times here and starts no timer.
    cron = new Cron(trimmed);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return `invalid cron expression ${JSON.stringify(trimmed)}: ${detail.replace(/^CronPattern: /, "")}; use minute hour day-of-month month day-of-week, e.g. ${EXAMPLE}`;
  }

  const runs = cron.nextRuns(SAMPLED_RUNS, now);
  if (runs.length === 0) {
    return `cron expression ${JSON.stringify(trimmed)} matches no future time, so it would never poll: use one that repeats, e.g. ${EXAMPLE}`;
  }
  const gapSeconds = shortestGapSeconds(runs);
  if (gapSeconds < MIN_POLL_GAP_SECONDS) {
    return `cron expression ${JSON.stringify(trimmed)} polls ${gapSeconds} s apart, below the minimum of ${MIN_POLL_GAP_SECONDS} s: use a longer period, e.g. ${EXAMPLE}`;
  }
  return undefined;
}

function shortestGapSeconds(runs: readonly Date[]): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (let index = 1; index < runs.length; index += 1) {
    const previous = runs[index - 1];
    const current = runs[index];
    if (previous && current) {
      shortest = Math.min(shortest, (current.getTime() - previous.getTime()) / 1000);
    }
  }
  return shortest;
}
