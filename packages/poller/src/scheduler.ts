import type { PollSettings } from "@berth/store";
import {
  jitteredRunTime,
  nextFireTime,
  parseSchedule,
  type Schedule,
  scheduleKey,
} from "./schedule.js";
import type { Clock, PollerLogger } from "./types.js";

export interface SchedulerOptions {
  clock: Clock;
  random: () => number;
  logger: PollerLogger;
  /** How often the settings are re-read while waiting for the next fire time. */
  settingsCheckMs: number;
  readSettings(): Promise<PollSettings>;
  /** Runs one cycle; `nextDueAt` is when its stages are due again: the next fire time. */
  runCycle(nextDueAt: Date): Promise<void>;
  /**
   * Called when a schedule is planned (at start and after a settings change) with its next
   * fire time, so stages due later under an older, longer interval are due by then.
   */
  pullDueTimesForward?(dueBy: Date): Promise<void>;
  /** Registers a running promise, so the poller's stop() can wait for it. */
  track<T>(promise: Promise<T>): Promise<T>;
}

/** Wait after a failed step (at most the settings check interval). */
const FAILED_STEP_RETRY_MS = 5000;

interface Plan {
  key: string;
  schedule: Schedule;
  /** The nominal fire time from the schedule. */
  fireTime: Date;
  /** The fire time plus jitter: when the cycle runs. */
  runAt: Date;
}

/**
 * Fires poll cycles on the schedule stored in settings. It keeps one timer, which wakes at
 * the run time or at the next settings check, whichever comes first. A changed schedule
 * is planned anew at that check, so it applies without a restart.
 */
export class Scheduler {
  private readonly options: SchedulerOptions;
  private timer: unknown;
  private running = false;
  private plan: Plan | undefined;
  /** Steps failed in a row, e.g. while the database is unreachable. */
  private failures = 0;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.arm(0);
  }

  /** Clears the timer; a wake that is running finishes without arming another. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.plan = undefined;
  }

  /** Returns the schedule's next fire time after now, from the current settings. */
  async nextFireTime(): Promise<Date> {
    const { schedule } = parseSchedule(await this.options.readSettings());
    return nextFireTime(schedule, this.options.clock.now());
  }

  private arm(delayMs: number): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.options.track(this.wake());
    }, delayMs);
  }

  private async wake(): Promise<void> {
    let failed = false;
    try {
      const settings = await this.options.readSettings();
      if (this.replanIfChanged(settings)) {
        await this.pullDueTimesForward();
      }
      await this.runIfDue();
      this.noteRecovery();
    } catch (error) {
      failed = true;
      this.noteFailure(error);
    }

    if (this.running) {
      const untilRun = this.plan
        ? this.plan.runAt.getTime() - this.options.clock.now().getTime()
        : this.options.settingsCheckMs;
      // After a failure the run time may be past, and waking at once would spin for as
      // long as the database is down.
      const wait = failed ? this.retryMs() : untilRun;
      this.arm(Math.max(0, Math.min(wait, this.options.settingsCheckMs)));
    }
  }

  private retryMs(): number {
    return Math.min(FAILED_STEP_RETRY_MS, this.options.settingsCheckMs);
  }

  /** Logs the first failure of a run of failures as a warning and the rest at debug. */
  private noteFailure(error: unknown): void {
    this.failures += 1;
    const fields = { err: error, failures: this.failures, retryMs: this.retryMs() };
    if (this.failures === 1) {
      this.options.logger.warn(fields, "poll schedule step failed; retrying");
    } else {
      this.options.logger.debug(fields, "poll schedule step failed again; retrying");
    }
  }

  private noteRecovery(): void {
    if (this.failures > 0) {
      this.options.logger.info({ failures: this.failures }, "poll schedule step works again");
      this.failures = 0;
    }
  }

  /** Plans the schedule anew when the settings changed it; returns whether it did. */
  private replanIfChanged(settings: PollSettings): boolean {
    const key = scheduleKey(settings);
    if (this.plan?.key === key) {
      return false;
    }
    const { schedule, problem } = parseSchedule(settings);
    if (problem) {
      this.options.logger.error({ cron: settings.cron }, problem);
    }
    this.plan = this.planAfter(key, schedule, this.options.clock.now());
    this.options.logger.info(
      { cron: settings.cron, intervalSeconds: settings.intervalSeconds, next: this.plan.runAt },
      "poll schedule set",
    );
    return true;
  }

  /**
   * Brings stages due after the new plan's fire time forward to it. A failure only delays
   * the new interval until the old due times pass, so it is logged and the cycle still runs.
   */
  private async pullDueTimesForward(): Promise<void> {
    const plan = this.plan;
    if (!plan || !this.options.pullDueTimesForward) {
      return;
    }
    try {
      await this.options.pullDueTimesForward(plan.fireTime);
    } catch (error) {
      this.options.logger.warn(
        { err: error, dueBy: plan.fireTime },
        "moving stage due times to the new schedule failed; they keep their old due times",
      );
    }
  }

  private async runIfDue(): Promise<void> {
    const plan = this.plan;
    if (!plan || this.options.clock.now() < plan.runAt) {
      return;
    }
    try {
      await this.options.runCycle(nextFireTime(plan.schedule, plan.fireTime));
    } finally {
      // Fire times missed while a long cycle ran are skipped, not run back to back.
      this.plan = this.planAfter(plan.key, plan.schedule, this.options.clock.now());
    }
  }

  private planAfter(key: string, schedule: Schedule, after: Date): Plan {
    const fireTime = nextFireTime(schedule, after);
    return {
      key,
      schedule,
      fireTime,
      runAt: jitteredRunTime(schedule, fireTime, this.options.random),
    };
  }
}
