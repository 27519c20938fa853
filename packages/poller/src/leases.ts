/**
 * This process's poll leases. A check that fails on the store (Postgres restarted, the
 * connection dropped) cannot release the leases it took, and they would keep its stages from
 * being polled until they expire (10 minutes by default). The next check releases them first.
 * While checks run, their leases are renewed every third of the lease time, so a check that
 * runs longer than one lease keeps its stages.
 */
import {
  type ClaimedStage,
  type ClaimOptions,
  claimStages,
  releaseOwnerLeases,
  renewPollLeases,
} from "@berth/store";
import type { CheckContext } from "./context.js";

export interface LeaseBook {
  /**
   * Claims stages as `claimStages` does, after releasing the leases a failed check left.
   * Claims and releases run one at a time, so a release never takes a lease another check
   * of this process has just claimed.
   */
  claim(context: CheckContext, options: ClaimOptions): Promise<ClaimedStage[]>;
  /**
   * Ends the check of `stages`, whose leases its results released. Renewals stop once no
   * check has stages left.
   */
  finish(stages: readonly ClaimedStage[]): void;
  /** Records that a check failed on the store, so some of its leases may still be held. */
  markLeftOver(): void;
}

export function createLeaseBook(): LeaseBook {
  const checking = new Set<string>();
  let leftOver = false;
  let queue: Promise<unknown> = Promise.resolve();
  let renewal: NodeJS.Timeout | undefined;

  /**
   * Arms the next renewal while any check has claimed stages and none is armed. It runs on the
   * process's timers, not the injected clock, because tests that step a fake clock through
   * the schedule expect only the schedule's timers on it. The clock still sets `locked_until`.
   */
  const scheduleRenewal = (context: CheckContext) => {
    if (renewal || checking.size === 0) {
      return;
    }
    renewal = setTimeout(() => {
      renewal = undefined;
      void renewLeases(context).finally(() => scheduleRenewal(context));
    }, context.tuning.leaseMs / 3);
  };

  const renewLeases = async (context: CheckContext) => {
    const stageIds = [...checking];
    if (stageIds.length === 0) {
      return;
    }
    const lockedUntil = new Date(context.clock.now().getTime() + context.tuning.leaseMs);
    try {
      const renewed = await renewPollLeases(context.db, {
        owner: context.owner,
        stageIds,
        lockedUntil,
      });
      context.logger.debug({ stages: renewed.length, lockedUntil }, "poll leases renewed");
    } catch (error) {
      // The leases still run until their last `locked_until`, so the next renewal may come
      // in time.
      context.logger.warn(
        { stages: stageIds.length, owner: context.owner, err: error },
        "renewing poll leases failed; retrying at the next renewal",
      );
    }
  };

  const releaseLeftOver = async (context: CheckContext) => {
    if (!leftOver) {
      return;
    }
    const released = await releaseOwnerLeases(context.db, {
      owner: context.owner,
      keep: [...checking],
    });
    leftOver = false;
    context.logger.info(
      { stages: released.length, owner: context.owner },
      "released poll leases left by a check that failed on the database",
    );
  };

  const claimNow = async (context: CheckContext, options: ClaimOptions) => {
    await releaseLeftOver(context);
    let claimed: ClaimedStage[];
    try {
      claimed = await claimStages(context.db, options);
    } catch (error) {
      // The claim may have committed before the connection dropped.
      leftOver = true;
      throw error;
    }
    for (const stage of claimed) {
      checking.add(stage.stageId);
    }
    scheduleRenewal(context);
    return claimed;
  };

  return {
    claim(context, options) {
      const result = queue.then(() => claimNow(context, options));
      queue = result.catch(() => undefined);
      return result;
    },

    finish(stages) {
      for (const { stageId } of stages) {
        checking.delete(stageId);
      }
      if (checking.size === 0) {
        clearTimeout(renewal);
        renewal = undefined;
      }
    },

    markLeftOver() {
      leftOver = true;
    },
  };
}
