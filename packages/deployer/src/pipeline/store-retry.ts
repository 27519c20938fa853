/** Store writes that must outlast a short database outage, such as a Postgres restart. */
import { toStoreError } from "@berth/store";
import type { Logger } from "pino";
import { rootCauseMessage } from "../errors.js";

export interface StoreRetryOptions {
  logger: Logger;
  /** Description of the write for the log, e.g. `finish deploy 3f2a…`. */
  what: string;
  /** How long to keep trying while the database is unreachable. Default 30 s. */
  maxWaitMs?: number;
  /** Pause between attempts. Default 1 s. */
  intervalMs?: number;
}

/**
 * Runs `write`, and runs it again while it fails because the database is unreachable, for
 * at most `maxWaitMs`. Any other error, or the last connection error, is thrown.
 */
export async function retryWhileUnreachable<T>(
  write: () => Promise<T>,
  options: StoreRetryOptions,
): Promise<T> {
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 1000;
  const deadline = Date.now() + maxWaitMs;

  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await write();
      if (attempt > 1) {
        options.logger.info({ what: options.what, attempts: attempt }, "database write succeeded");
      }
      return result;
    } catch (error) {
      if (toStoreError(error).kind !== "connection" || Date.now() + intervalMs > deadline) {
        throw error;
      }
      if (attempt === 1) {
        options.logger.warn(
          { what: options.what, error: rootCauseMessage(error), retryMs: intervalMs, maxWaitMs },
          "database unreachable; retrying the write",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Logs a periodic task's failures: the first of a run as a warning, repeats at debug. */
export interface FailureRun {
  failed(error: unknown): void;
  /** Logs at info that the task works again, when it failed before. */
  succeeded(): void;
}

/** Returns the failure log of the periodic task `task`, e.g. `claiming deploys`. */
export function failureRun(logger: Logger, task: string): FailureRun {
  let failures = 0;
  return {
    failed(error) {
      failures += 1;
      const fields = { error: rootCauseMessage(error), failures };
      if (failures === 1) {
        logger.warn(fields, `${task} failed; retrying`);
      } else {
        logger.debug(fields, `${task} failed again`);
      }
    },
    succeeded() {
      if (failures > 0) {
        logger.info({ failures }, `${task} works again`);
        failures = 0;
      }
    },
  };
}
