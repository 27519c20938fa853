import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Database } from "../database.js";
import { notFound } from "../errors.js";
import { type DeployStatus, type DeployTrigger, deploys } from "../schema.js";
import type { Executor } from "./candidates.js";
import { requireUuid, withStoreErrors } from "./run.js";

export type Deploy = typeof deploys.$inferSelect;

/** Statuses a deploy never leaves. */
export const FINISHED_DEPLOY_STATUSES = [
  "succeeded",
  "failed",
  "rolled_back",
  "cancelled",
  "rejected",
] as const satisfies readonly DeployStatus[];

/** Key of the advisory lock that serialises claims, so the running count stays exact. */
const CLAIM_LOCK_KEY = 0x62657274;

export interface ClaimDeployOptions {
  /** Process id recorded in `claimed_by`, so start-up recovery can tell which process ran the deploy. */
  workerId: string;
  /** Global limit: no claim while this many deploys run, whichever process runs them. */
  maxRunning: number;
  now: Date;
}

/**
 * Claims the oldest queued deploy of a stage that has none running, and marks it running.
 * Returns `null` when nothing can start now. The claim runs under a transaction-scoped
 * advisory lock, so several processes never exceed `maxRunning`. The row is taken with
 * `FOR UPDATE SKIP LOCKED`, and `deploys_one_running_per_stage_key` guards the stage rule.
 */
export async function claimNextDeploy(
  db: Database,
  options: ClaimDeployOptions,
): Promise<Deploy | null> {
  return withStoreErrors(() =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${CLAIM_LOCK_KEY})`);
      const [running] = await tx
        .select({ count: sql<number>`count(*)::int` })
        .from(deploys)
        .where(eq(deploys.status, "running"));
      if ((running?.count ?? 0) >= options.maxRunning) {
        return null;
      }

      const [candidate] = await tx
        .select({ id: deploys.id })
        .from(deploys)
        .where(
          and(
            eq(deploys.status, "queued"),
            sql`not exists (select 1 from deploys as busy where busy.stage_id = ${deploys.stageId} and busy.status = 'running')`,
          ),
        )
        .orderBy(asc(deploys.createdAt))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!candidate) {
        return null;
      }

      const [claimed] = await tx
        .update(deploys)
        .set({
          status: "running",
          claimedBy: options.workerId,
          startedAt: options.now,
          heartbeatAt: options.now,
          updatedAt: options.now,
        })
        .where(and(eq(deploys.id, candidate.id), eq(deploys.status, "queued")))
        .returning();
      return claimed ?? null;
    }),
  );
}

/** Reads one deploy. */
export async function getDeploy(db: Executor, id: string): Promise<Deploy> {
  requireUuid("deploy", id);
  const [row] = await withStoreErrors(() => db.select().from(deploys).where(eq(deploys.id, id)));
  if (!row) {
    throw notFound("deploy", id);
  }
  return row;
}

/** Lists a stage's deploys, newest first. */
export async function listStageDeploys(
  db: Executor,
  stageId: string,
  limit = 50,
): Promise<Deploy[]> {
  requireUuid("stage", stageId);
  return withStoreErrors(() =>
    db
      .select()
      .from(deploys)
      .where(eq(deploys.stageId, stageId))
      .orderBy(desc(deploys.createdAt))
      .limit(limit),
  );
}

export interface QueueDeployInput {
  stageId: string;
  tag: string;
  digest: string | null;
  trigger: DeployTrigger;
  requestedBy?: string | null | undefined;
  sourceDeployId?: string | null | undefined;
  /** `pending_approval` leaves the deploy waiting for an approval. Default `queued`. */
  status?: "queued" | "pending_approval" | undefined;
}

/** Adds a deploy for a manual operation: deploy a tag, redeploy, roll back or promote. */
export async function queueDeploy(db: Executor, input: QueueDeployInput): Promise<Deploy> {
  const [row] = await withStoreErrors(() =>
    db
      .insert(deploys)
      .values({
        stageId: input.stageId,
        tag: input.tag,
        digest: input.digest,
        trigger: input.trigger,
        status: input.status ?? "queued",
        requestedBy: input.requestedBy ?? null,
        sourceDeployId: input.sourceDeployId ?? null,
      })
      .returning(),
  );
  if (!row) {
    throw notFound("stage", input.stageId);
  }
  return row;
}

/**
 * Moves a deploy from `from` to `to` and returns it, or `null` when it was not in `from`
 * (another request or process moved it first).
 */
export async function transitionDeploy(
  db: Executor,
  id: string,
  from: DeployStatus,
  to: DeployStatus,
  fields: Partial<Pick<Deploy, "approvedBy" | "error" | "step" | "finishedAt">> = {},
): Promise<Deploy | null> {
  requireUuid("deploy", id);
  const [row] = await withStoreErrors(() =>
    db
      .update(deploys)
      .set({ ...fields, status: to, updatedAt: new Date() })
      .where(and(eq(deploys.id, id), eq(deploys.status, from)))
      .returning(),
  );
  return row ?? null;
}

/** Records the step a running deploy is at and refreshes its heartbeat. */
export async function setDeployStep(
  db: Executor,
  id: string,
  step: string,
  now: Date,
): Promise<void> {
  await withStoreErrors(() =>
    db.update(deploys).set({ step, heartbeatAt: now, updatedAt: now }).where(eq(deploys.id, id)),
  );
}

/** Pins the digest a deploy runs, once it is resolved. */
export async function setDeployDigest(db: Executor, id: string, digest: string): Promise<void> {
  await withStoreErrors(() =>
    db.update(deploys).set({ digest, updatedAt: new Date() }).where(eq(deploys.id, id)),
  );
}

/** Refreshes the heartbeat of running deploys, so other processes see they are alive. */
export async function touchDeploys(db: Executor, ids: string[], now: Date): Promise<void> {
  if (ids.length === 0) {
    return;
  }
  await withStoreErrors(() =>
    db
      .update(deploys)
      .set({ heartbeatAt: now })
      .where(and(inArray(deploys.id, ids), eq(deploys.status, "running"))),
  );
}

export interface FinishDeployInput {
  status: "succeeded" | "failed" | "rolled_back" | "cancelled";
  step?: string | null | undefined;
  error?: string | null | undefined;
  now: Date;
}

/** Ends a running deploy. */
export async function finishDeploy(
  db: Executor,
  id: string,
  input: FinishDeployInput,
): Promise<void> {
  await withStoreErrors(() =>
    db
      .update(deploys)
      .set({
        status: input.status,
        ...(input.step === undefined ? {} : { step: input.step }),
        error: input.error ?? null,
        finishedAt: input.now,
        updatedAt: input.now,
      })
      .where(and(eq(deploys.id, id), eq(deploys.status, "running"))),
  );
}

/**
 * Lists deploys left `running` by a process that stopped: those claimed by `workerId` (this
 * process before a restart) and those whose heartbeat is older than `staleBefore`.
 */
export async function listInterruptedDeploys(
  db: Executor,
  options: { workerId: string; staleBefore: Date },
): Promise<Deploy[]> {
  return withStoreErrors(() =>
    db
      .select()
      .from(deploys)
      .where(
        and(
          eq(deploys.status, "running"),
          or(eq(deploys.claimedBy, options.workerId), lt(deploys.heartbeatAt, options.staleBefore)),
        ),
      )
      .orderBy(asc(deploys.startedAt)),
  );
}

/** Finds the stage's latest succeeded deploy with this digest, or returns `null`. */
export async function findSucceededDeploy(
  db: Executor,
  stageId: string,
  digest: string,
): Promise<Deploy | null> {
  const [row] = await withStoreErrors(() =>
    db
      .select()
      .from(deploys)
      .where(
        and(
          eq(deploys.stageId, stageId),
          eq(deploys.digest, digest),
          eq(deploys.status, "succeeded"),
        ),
      )
      .orderBy(desc(deploys.finishedAt))
      .limit(1),
  );
  return row ?? null;
}
