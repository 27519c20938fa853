import { type ClaimedStage, recordPollFailure, releasePollLeases } from "@berth/store";
import type { CheckContext, CheckRun } from "./context.js";
import { backoffDelayMs, later, rateLimitPauseUntil } from "./decisions.js";
import { messageOf } from "./errors.js";
import { rateLimitOf } from "./registry.js";

/** Maximum length of the error text stored in `poll_state.last_error`. */
const MAX_ERROR_LENGTH = 2000;

/**
 * Records a failed poll for each stage: the error, a longer backoff, and a pause of the
 * whole registry when it returned 429. When the poller is stopping, the stages are only
 * released: an aborted request is not the registry's failure.
 */
export async function failStages(
  context: CheckContext,
  run: CheckRun,
  stages: readonly ClaimedStage[],
  error: unknown,
): Promise<void> {
  if (context.signal.aborted) {
    await deferStages(context, run, stages);
    return;
  }

  const now = context.clock.now();
  const pausedUntil = pauseIfRateLimited(context, stages, error, now);
  const message = messageOf(error).slice(0, MAX_ERROR_LENGTH);

  for (const stage of stages) {
    const failureStreak = stage.state.failureStreak + 1;
    const backoffMs = backoffDelayMs(failureStreak, {
      baseMs: context.tuning.backoffBaseMs,
      capMs: context.tuning.backoffCapMs,
      random: context.random,
    });
    let nextDueAt = new Date(now.getTime() + backoffMs);
    if (pausedUntil) {
      nextDueAt = later(nextDueAt, pausedUntil);
    }

    const written = await recordPollFailure(context.db, {
      stageId: stage.stageId,
      owner: context.owner,
      error: message,
      failedAt: now,
      failureStreak,
      nextDueAt,
    });
    run.settled.add(stage.stageId);
    if (!written) {
      leaseLost(context, stage);
      continue;
    }
    run.errors += 1;
    context.counters.errors += 1;
    context.logger.warn(
      { stage: stage.stageId, image: stage.repository, error: message, failureStreak, nextDueAt },
      "stage poll failed",
    );
  }
}

function pauseIfRateLimited(
  context: CheckContext,
  stages: readonly ClaimedStage[],
  error: unknown,
  now: Date,
): Date | undefined {
  const rateLimit = rateLimitOf(error);
  const registry = stages[0]?.registry;
  if (!rateLimit || !registry) {
    return undefined;
  }

  const until = rateLimitPauseUntil(now, rateLimit.retryAfterSeconds, {
    fallbackMs: context.tuning.rateLimitFallbackMs,
    capMs: context.tuning.rateLimitCapMs,
    random: context.random,
  });
  const current = context.pausedRegistries.get(registry.id);
  const pausedUntil = current ? later(current, until) : until;
  context.pausedRegistries.set(registry.id, pausedUntil);
  context.counters.rateLimited += 1;
  context.logger.warn(
    { registry: registry.name, pausedUntil, retryAfterSeconds: rateLimit.retryAfterSeconds },
    "registry rate-limited the poller; pausing every stage on it",
  );
  return pausedUntil;
}

/** Releases stages that were claimed but not polled, optionally moving when they are due. */
export async function deferStages(
  context: CheckContext,
  run: CheckRun,
  stages: readonly ClaimedStage[],
  nextDueAt?: Date,
): Promise<void> {
  await releasePollLeases(context.db, {
    stageIds: stages.map((stage) => stage.stageId),
    owner: context.owner,
    ...(nextDueAt ? { nextDueAt } : {}),
  });
  for (const stage of stages) {
    run.settled.add(stage.stageId);
  }
  run.deferred += stages.length;
}

/** Counts and logs a result dropped because another poller took the stage's lease. */
export function leaseLost(context: CheckContext, stage: ClaimedStage): void {
  context.counters.leasesLost += 1;
  context.logger.warn(
    { stage: stage.stageId, owner: context.owner },
    "poll lease lost before the result was stored; another poller owns the stage now",
  );
}
