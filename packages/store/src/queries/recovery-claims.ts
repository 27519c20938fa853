/**
 * Claims on deploys whose process died, so that of several Berth processes sharing the
 * database only one recovers each deploy.
 */
import { and, eq, lt, or } from "drizzle-orm";
import { deploys } from "../schema.js";
import type { Executor } from "./candidates.js";
import type { Deploy } from "./deploys.js";
import { requireUuid, withStoreErrors } from "./run.js";

export interface ClaimStaleDeployOptions {
  /** Process id recorded in `claimed_by`. */
  workerId: string;
  /** The deploy qualifies only when its heartbeat is older than this. */
  staleBefore: Date;
  /**
   * A deploy already claimed by `workerId` qualifies whatever its heartbeat: at start-up
   * this is the process's previous life, which may have died a moment ago.
   */
  includeOwn: boolean;
  now: Date;
}

/**
 * Claims a `running` deploy for recovery when it is still stale: records `workerId` in
 * `claimed_by` and refreshes its heartbeat, in one conditional update. Returns the claimed
 * deploy, or `null` when it is no longer stale or no longer running. Because the claim makes
 * the heartbeat fresh, a second process that races for the same deploy gets `null`.
 */
export async function claimStaleDeploy(
  db: Executor,
  id: string,
  options: ClaimStaleDeployOptions,
): Promise<Deploy | null> {
  requireUuid("deploy", id);
  const stale = lt(deploys.heartbeatAt, options.staleBefore);
  const [row] = await withStoreErrors(() =>
    db
      .update(deploys)
      .set({ claimedBy: options.workerId, heartbeatAt: options.now, updatedAt: options.now })
      .where(
        and(
          eq(deploys.id, id),
          eq(deploys.status, "running"),
          options.includeOwn ? or(stale, eq(deploys.claimedBy, options.workerId)) : stale,
        ),
      )
      .returning(),
  );
  return row ?? null;
}

/**
 * Gives up a recovery claim on a deploy that stays `running`: sets its heartbeat to
 * `heartbeatAt`, a time older than the stale limit, so the next sweep of any process finds
 * it again. Does nothing when another process has claimed the deploy since.
 */
export async function releaseStaleDeploy(
  db: Executor,
  id: string,
  options: { workerId: string; heartbeatAt: Date },
): Promise<void> {
  requireUuid("deploy", id);
  await withStoreErrors(() =>
    db
      .update(deploys)
      .set({ heartbeatAt: options.heartbeatAt })
      .where(
        and(
          eq(deploys.id, id),
          eq(deploys.status, "running"),
          eq(deploys.claimedBy, options.workerId),
        ),
      ),
  );
}
