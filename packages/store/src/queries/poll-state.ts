import { and, asc, eq, gt, inArray, isNull, lte, notInArray, or, sql } from "drizzle-orm";
import type { Database } from "../database.js";
import { pollState, projects, registries, settings, stages, type TagPolicy } from "../schema.js";
import type { Executor } from "./candidates.js";

/** The poll schedule stored in settings, with the defaults of an empty settings table. */
export interface PollSettings {
  /** A cron expression; when set it wins over `intervalSeconds`. */
  cron: string | null;
  intervalSeconds: number;
  jitterSeconds: number;
}

/** A stage the poller holds a lease on, with what it needs to poll it. */
export interface ClaimedStage {
  stageId: string;
  stageName: string;
  tagInclude: string[];
  tagExclude: string[];
  policy: TagPolicy;
  autoDeploy: boolean;
  projectSlug: string;
  repository: string;
  registry: {
    id: string;
    name: string;
    type: (typeof registries.$inferSelect)["type"];
    url: string;
    username: string | null;
    tokenEncrypted: string | null;
    updatedAt: Date;
  };
  state: {
    initialized: boolean;
    lastTag: string | null;
    lastDigest: string | null;
    failureStreak: number;
  };
}

export interface ClaimOptions {
  /** Identifies this poller in `locked_by`; a lease is released or renewed only by its owner. */
  owner: string;
  now: Date;
  leaseSeconds: number;
  /** Claim only these stages, due or not (manual polls and webhook checks). */
  stageIds?: readonly string[];
  /** Maximum stages claimed at once. */
  limit?: number;
}

export interface PollSuccess {
  stageId: string;
  owner: string;
  lastTag: string | null;
  lastDigest: string | null;
  polledAt: Date;
  nextDueAt: Date;
}

export interface PollFailure {
  stageId: string;
  owner: string;
  error: string;
  failedAt: Date;
  failureStreak: number;
  nextDueAt: Date;
}

const DEFAULT_POLL_SETTINGS: PollSettings = { cron: null, intervalSeconds: 300, jitterSeconds: 30 };

/** Reads the poll schedule from the settings row, or the defaults when there is no row yet. */
export async function readPollSettings(db: Executor): Promise<PollSettings> {
  const rows = await db
    .select({
      cron: settings.pollCron,
      intervalSeconds: settings.pollIntervalSeconds,
      jitterSeconds: settings.pollJitterSeconds,
    })
    .from(settings)
    .where(eq(settings.id, 1));
  return rows[0] ?? DEFAULT_POLL_SETTINGS;
}

/**
 * Leases the stages that are due (or the stages named in `stageIds`) to `owner` until
 * `now + leaseSeconds`, and returns them. One conditional update over rows picked with
 * `FOR UPDATE SKIP LOCKED` does the claim, so two pollers on one database never hold the
 * same stage, and a lease whose owner crashed is free again once `locked_until` passes.
 * Stages without a poll state row get one first, due at once.
 *
 * NOTE: `now` comes from the caller's clock, so replicas need synchronised clocks (NTP)
 * for a lease to end at the same moment for all of them.
 */
export async function claimStages(db: Database, options: ClaimOptions): Promise<ClaimedStage[]> {
  await ensurePollStateRows(db, options.now);

  const free = or(isNull(pollState.lockedUntil), lte(pollState.lockedUntil, options.now));
  const pick = options.stageIds
    ? and(free, inArray(pollState.stageId, [...options.stageIds]))
    : and(free, lte(pollState.nextDueAt, options.now));
  const picked = db
    .select({ stageId: pollState.stageId })
    .from(pollState)
    .where(pick)
    .orderBy(asc(pollState.nextDueAt))
    .limit(options.limit ?? 10_000)
    .for("update", { skipLocked: true });

  const claimed = await db
    .update(pollState)
    .set({
      lockedUntil: new Date(options.now.getTime() + options.leaseSeconds * 1000),
      lockedBy: options.owner,
      updatedAt: options.now,
    })
    .where(and(inArray(pollState.stageId, picked), free))
    .returning({ stageId: pollState.stageId });

  return loadClaimedStages(
    db,
    claimed.map((row) => row.stageId),
  );
}

async function ensurePollStateRows(db: Database, now: Date): Promise<void> {
  await db.execute(sql`
    insert into ${pollState} (stage_id, next_due_at)
    select ${stages.id}, ${now.toISOString()}::timestamptz from ${stages}
    where not exists (select 1 from ${pollState} where ${pollState.stageId} = ${stages.id})
    on conflict do nothing`);
}

async function loadClaimedStages(db: Database, stageIds: string[]): Promise<ClaimedStage[]> {
  if (stageIds.length === 0) {
    return [];
  }
  const rows = await db
    .select({
      stageId: stages.id,
      stageName: stages.name,
      tagInclude: stages.tagInclude,
      tagExclude: stages.tagExclude,
      policy: stages.policy,
      autoDeploy: stages.autoDeploy,
      projectSlug: projects.slug,
      repository: projects.repository,
      registry: {
        id: registries.id,
        name: registries.name,
        type: registries.type,
        url: registries.url,
        username: registries.username,
        tokenEncrypted: registries.tokenEncrypted,
        updatedAt: registries.updatedAt,
      },
      state: {
        initialized: pollState.initialized,
        lastTag: pollState.lastTag,
        lastDigest: pollState.lastDigest,
        failureStreak: pollState.failureStreak,
      },
    })
    .from(pollState)
    .innerJoin(stages, eq(stages.id, pollState.stageId))
    .innerJoin(projects, eq(projects.id, stages.projectId))
    .innerJoin(registries, eq(registries.id, projects.registryId))
    .where(inArray(pollState.stageId, stageIds));
  return rows;
}

/**
 * Stores what a poll saw and releases the lease, in the caller's transaction so the
 * candidate insert commits or rolls back with it. Returns false, writing nothing, when
 * `owner` no longer holds the lease: another poller took the stage after the lease expired.
 */
export async function recordPollSuccess(db: Executor, result: PollSuccess): Promise<boolean> {
  const rows = await db
    .update(pollState)
    .set({
      initialized: true,
      lastTag: result.lastTag,
      lastDigest: result.lastDigest,
      ...successfulPoll(result.polledAt, result.nextDueAt),
    })
    .where(and(eq(pollState.stageId, result.stageId), eq(pollState.lockedBy, result.owner)))
    .returning({ stageId: pollState.stageId });
  return rows.length === 1;
}

/**
 * Columns a successful poll writes: no error, no failure streak, the next due time, and the
 * lease released.
 */
function successfulPoll(polledAt: Date, nextDueAt: Date) {
  return {
    lastPolledAt: polledAt,
    lastError: null,
    failureStreak: 0,
    nextDueAt,
    lockedUntil: null,
    lockedBy: null,
    updatedAt: polledAt,
  };
}

/**
 * Stores a failed poll (the error, its time and the failure streak), sets when the stage
 * is due again, and releases the lease. Returns false when the lease is no longer `owner`'s.
 */
export async function recordPollFailure(db: Executor, failure: PollFailure): Promise<boolean> {
  const rows = await db
    .update(pollState)
    .set({
      lastPolledAt: failure.failedAt,
      lastError: failure.error,
      lastErrorAt: failure.failedAt,
      failureStreak: failure.failureStreak,
      nextDueAt: failure.nextDueAt,
      lockedUntil: null,
      lockedBy: null,
      updatedAt: failure.failedAt,
    })
    .where(and(eq(pollState.stageId, failure.stageId), eq(pollState.lockedBy, failure.owner)))
    .returning({ stageId: pollState.stageId });
  return rows.length === 1;
}

/**
 * Releases leases without recording a poll: the stages were not polled (the poller is
 * stopping, or their registry is paused). `nextDueAt` moves them when given.
 */
export async function releasePollLeases(
  db: Executor,
  release: { stageIds: readonly string[]; owner: string; nextDueAt?: Date },
): Promise<void> {
  if (release.stageIds.length === 0) {
    return;
  }
  await db
    .update(pollState)
    .set({
      lockedUntil: null,
      lockedBy: null,
      ...(release.nextDueAt ? { nextDueAt: release.nextDueAt } : {}),
    })
    .where(
      and(inArray(pollState.stageId, [...release.stageIds]), eq(pollState.lockedBy, release.owner)),
    );
}

/**
 * Releases every lease `owner` holds except those on `keep`, and returns the stages it
 * released. A poller calls it after a check failed on the store, because that check could
 * not release its own leases and they would otherwise last until `locked_until`.
 */
export async function releaseOwnerLeases(
  db: Executor,
  release: { owner: string; keep: readonly string[] },
): Promise<string[]> {
  const held = eq(pollState.lockedBy, release.owner);
  const rows = await db
    .update(pollState)
    .set({ lockedUntil: null, lockedBy: null })
    .where(
      release.keep.length > 0 ? and(held, notInArray(pollState.stageId, [...release.keep])) : held,
    )
    .returning({ stageId: pollState.stageId });
  return rows.map((row) => row.stageId);
}

/**
 * Extends to `lockedUntil` the leases `owner` still holds on `stageIds`, so a check that runs
 * longer than one lease keeps its stages. A stage released or leased to another poller
 * meanwhile is left alone. Returns the ids of the stages renewed.
 */
export async function renewPollLeases(
  db: Executor,
  renewal: { owner: string; stageIds: readonly string[]; lockedUntil: Date },
): Promise<string[]> {
  if (renewal.stageIds.length === 0) {
    return [];
  }
  const rows = await db
    .update(pollState)
    .set({ lockedUntil: renewal.lockedUntil })
    .where(
      and(inArray(pollState.stageId, [...renewal.stageIds]), eq(pollState.lockedBy, renewal.owner)),
    )
    .returning({ stageId: pollState.stageId });
  return rows.map((row) => row.stageId);
}

/**
 * Stores a poll that found nothing new for many stages at once and releases their leases:
 * one statement instead of one transaction per stage, since no candidate goes with it.
 * Returns the ids of the stages still leased to `owner`, which are the ones written.
 */
export async function recordUnchangedPolls(
  db: Executor,
  result: { stageIds: readonly string[]; owner: string; polledAt: Date; nextDueAt: Date },
): Promise<string[]> {
  if (result.stageIds.length === 0) {
    return [];
  }
  const rows = await db
    .update(pollState)
    .set({
      ...successfulPoll(result.polledAt, result.nextDueAt),
    })
    .where(
      and(
        inArray(pollState.stageId, [...result.stageIds]),
        eq(pollState.lockedBy, result.owner),
        eq(pollState.initialized, true),
      ),
    )
    .returning({ stageId: pollState.stageId });
  return rows.map((row) => row.stageId);
}

/**
 * Stores the first poll of many stages at once (what exists, and no candidate) and releases
 * their leases in one statement. Returns the ids of the stages still leased to `owner`,
 * which are the ones written.
 */
export async function recordFirstPolls(
  db: Executor,
  result: {
    stages: ReadonlyArray<{ stageId: string; lastTag: string | null; lastDigest: string | null }>;
    owner: string;
    polledAt: Date;
    nextDueAt: Date;
  },
): Promise<string[]> {
  if (result.stages.length === 0) {
    return [];
  }
  // One CASE per column maps each stage to its own tag and digest.
  const valueFor = (column: "lastTag" | "lastDigest") =>
    sql`case ${sql.join(
      result.stages.map(
        (stage) => sql`when ${pollState.stageId} = ${stage.stageId} then ${stage[column]}`,
      ),
      sql` `,
    )} end`;
  const rows = await db
    .update(pollState)
    .set({
      initialized: true,
      lastTag: valueFor("lastTag"),
      lastDigest: valueFor("lastDigest"),
      ...successfulPoll(result.polledAt, result.nextDueAt),
    })
    .where(
      and(
        inArray(
          pollState.stageId,
          result.stages.map((stage) => stage.stageId),
        ),
        eq(pollState.lockedBy, result.owner),
        eq(pollState.initialized, false),
      ),
    )
    .returning({ stageId: pollState.stageId });
  return rows.map((row) => row.stageId);
}

/**
 * Moves the next due time of every healthy stage (no failure streak) forward to `dueBy`
 * when it is later, in one statement. A shortened poll interval then applies at its next
 * fire time, not after the due times computed under the old one. Failing stages keep their
 * backoff. Returns how many stages moved.
 */
export async function pullDueTimesForward(db: Executor, dueBy: Date): Promise<number> {
  const rows = await db
    .update(pollState)
    .set({ nextDueAt: dueBy })
    .where(and(eq(pollState.failureStreak, 0), gt(pollState.nextDueAt, dueBy)))
    .returning({ stageId: pollState.stageId });
  return rows.length;
}

/** Returns which of `stageIds` have a poll state row, which every existing stage has once claimed. */
export async function findPolledStageIds(
  db: Executor,
  stageIds: readonly string[],
): Promise<string[]> {
  if (stageIds.length === 0) {
    return [];
  }
  const rows = await db
    .select({ stageId: pollState.stageId })
    .from(pollState)
    .where(inArray(pollState.stageId, [...stageIds]));
  return rows.map((row) => row.stageId);
}

/** The poller's last result for a stage, as the API and the dashboard show it. */
export interface PollStatus {
  stageId: string;
  lastPolledAt: Date | null;
  /** The error of the last poll, or null when it succeeded. */
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Failed polls in a row; the backoff grows with it. */
  failureStreak: number;
  /** When the poller checks the stage next: after a failure, when its backoff ends. */
  nextDueAt: Date;
}

/** Returns the poll status of each of `stageIds` that has been claimed at least once. */
export async function listPollStatus(
  db: Executor,
  stageIds: readonly string[],
): Promise<PollStatus[]> {
  if (stageIds.length === 0) {
    return [];
  }
  return db
    .select({
      stageId: pollState.stageId,
      lastPolledAt: pollState.lastPolledAt,
      lastError: pollState.lastError,
      lastErrorAt: pollState.lastErrorAt,
      failureStreak: pollState.failureStreak,
      nextDueAt: pollState.nextDueAt,
    })
    .from(pollState)
    .where(inArray(pollState.stageId, [...stageIds]));
}
