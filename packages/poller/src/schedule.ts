import type { PollSettings } from "@berth/store";
import { Cron } from "croner";

/** A parsed poll schedule: either a cron expression or a fixed interval. */
export type Schedule =
  | { kind: "cron"; cron: Cron; expression: string; jitterMs: number }
  | { kind: "interval"; intervalMs: number; jitterMs: number };

/**
 * Turns the stored settings into a schedule. An invalid cron expression falls back to the
 * interval, and `problem` explains why, so the caller can log it: the settings row is not the
 * poller's to reject.
 */
export function parseSchedule(settings: PollSettings): { schedule: Schedule; problem?: string } {
  const jitterMs = Math.max(0, settings.jitterSeconds) * 1000;
  const interval: Schedule = {
    kind: "interval",
    intervalMs: Math.max(1, settings.intervalSeconds) * 1000,
    jitterMs,
  };
  const expression = settings.cron?.trim();
  if (!expression) {
    return { schedule: interval };
  }

  try {
    // No callback: croner only computes run times here, it starts no timer. Without a
    // timezone option, croner reads the expression in the process's local time zone.
    const cron = new Cron(expression);
    return { schedule: { kind: "cron", cron, expression, jitterMs } };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      schedule: interval,
      problem: `settings poll_cron "${expression}" is invalid (${detail}); polling every ${settings.intervalSeconds} s until it is corrected`,
    };
  }
}

/** Returns a key that changes whenever the settings change the schedule. */
export function scheduleKey(settings: PollSettings): string {
  return `${settings.cron ?? ""}|${settings.intervalSeconds}|${settings.jitterSeconds}`;
}

/**
 * Returns the first nominal fire time strictly after `after`. Interval schedules fire on
 * multiples of the interval since the Unix epoch, so every replica computes the same
 * times and a restart does not shift them.
 */
export function nextFireTime(schedule: Schedule, after: Date): Date {
  if (schedule.kind === "interval") {
    const next = (Math.floor(after.getTime() / schedule.intervalMs) + 1) * schedule.intervalMs;
    return new Date(next);
  }
  // A cron expression with no future run (a date in the past) never fires again.
  return schedule.cron.nextRun(after) ?? new Date(8.64e15);
}

/**
 * Returns when a cycle nominally due at `fireTime` actually runs: a random delay of up to
 * the jitter, so replicas and installs sharing a registry do not all call it in the same
 * second. `random` returns a number in [0, 1).
 */
export function jitteredRunTime(schedule: Schedule, fireTime: Date, random: () => number): Date {
  return new Date(fireTime.getTime() + Math.floor(random() * schedule.jitterMs));
}
