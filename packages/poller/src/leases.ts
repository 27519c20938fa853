/**
 * This process's poll leases. A check that fails on the store (Postgres restarted, the
 * connection dropped) cannot release the leases it took, and they would keep its stages from
 * being polled until they expire (10 minutes by default). The next check releases them first.
 */
import {
  type ClaimedStage,
  type ClaimOptions,
  claimStages,
  releaseOwnerLeases,
} from "@berth/store";
import type { CheckContext } from "./context.js";

export interface LeaseBook {
  /**
   * Claims stages as `claimStages` does, after releasing the leases a failed check left.
   * Claims and releases run one at a time, so a release never takes a lease another check
   * of this process has just claimed.
   */
  claim(context: CheckContext, options: ClaimOptions): Promise<ClaimedStage[]>;
  /** Ends the check of `stages`, whose leases its results released. */
  finish(stages: readonly ClaimedStage[]): void;
  /** Records that a check failed on the store, so some of its leases may still be held. */
  markLeftOver(): void;
}

export function createLeaseBook(): LeaseBook {
  const checking = new Set<string>();
  let leftOver = false;
  let queue: Promise<unknown> = Promise.resolve();

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
    },

    markLeftOver() {
      leftOver = true;
    },
  };
}
