import { and, eq, sql } from "drizzle-orm";
import { type LoginKeyKind, loginFailures } from "../schema.js";
import type { Executor } from "./candidates.js";

/** The key failed logins are counted against: a user name or a client address. */
export interface LoginFailureKey {
  kind: LoginKeyKind;
  /** The lower-cased user name or the client address. */
  key: string;
}

/** The sliding window an attempt is checked against. */
export interface LoginFailureWindow {
  /** Time of the attempt. */
  at: Date;
  /** Start of the window: failures at or before it no longer count. */
  since: Date;
  /** Failures allowed within the window. */
  maxFailures: number;
}

/** Failures of one key within a window. */
export interface RecentLoginFailures {
  count: number;
  /** The oldest failure within the window, or undefined when there is none. */
  oldest: Date | undefined;
}

function timestamptz(value: Date) {
  return sql`${value.toISOString()}::timestamptz`;
}

function matchesKey(failureKey: LoginFailureKey) {
  return and(eq(loginFailures.kind, failureKey.kind), eq(loginFailures.key, failureKey.key));
}

/**
 * Counts an attempt on `failureKey` as a failure unless the key already has
 * `window.maxFailures` failures after `window.since`. Returns false, and changes nothing, when
 * it has. Dropping failures that left the window, checking the limit and appending is one
 * statement: the upsert locks the key's row, so parallel attempts from any process are
 * counted one after another and never get past the limit.
 */
export async function countLoginFailure(
  db: Executor,
  failureKey: LoginFailureKey,
  window: LoginFailureWindow,
): Promise<boolean> {
  const at = timestamptz(window.at);
  const recent = sql`array(select failure from unnest(${loginFailures.failedAt}) as failure where failure > ${timestamptz(window.since)} order by failure)`;
  const rows = await db
    .insert(loginFailures)
    .values({
      ...failureKey,
      failedAt: sql`array[${at}]`,
      lastAttemptAt: window.at,
    })
    .onConflictDoUpdate({
      target: [loginFailures.kind, loginFailures.key],
      set: { failedAt: sql`${recent} || ${at}`, lastAttemptAt: window.at },
      setWhere: sql`cardinality(${recent}) < ${window.maxFailures}`,
    })
    .returning({ kind: loginFailures.kind });
  return rows.length > 0;
}

/** Reads how many failures `failureKey` has after `since`, and the oldest of them. */
export async function readLoginFailures(
  db: Executor,
  failureKey: LoginFailureKey,
  since: Date,
): Promise<RecentLoginFailures> {
  const failure = sql`failure`;
  const [row] = await db
    .select({
      count: sql<number>`count(${failure})::int`,
      oldest: sql<Date | null>`min(${failure})`.mapWith(loginFailures.lastAttemptAt),
    })
    .from(sql`${loginFailures}, unnest(${loginFailures.failedAt}) as ${failure}`)
    .where(and(matchesKey(failureKey), sql`${failure} > ${timestamptz(since)}`));
  return { count: row?.count ?? 0, oldest: row?.oldest ?? undefined };
}

/**
 * Takes back one failure counted at `at`, e.g. when that attempt turned out to be a
 * successful login. Another failure counted at the same time stays.
 */
export async function removeLoginFailure(
  db: Executor,
  failureKey: LoginFailureKey,
  at: Date,
): Promise<void> {
  const position = sql`array_position(${loginFailures.failedAt}, ${timestamptz(at)})`;
  await db
    .update(loginFailures)
    .set({
      failedAt: sql`${loginFailures.failedAt}[:${position} - 1] || ${loginFailures.failedAt}[${position} + 1:]`,
    })
    .where(and(matchesKey(failureKey), sql`${position} is not null`));
}

/** Deletes every failure of `failureKey`, e.g. after a successful login with that user name. */
export async function deleteLoginFailures(
  db: Executor,
  failureKey: LoginFailureKey,
): Promise<void> {
  await db.delete(loginFailures).where(matchesKey(failureKey));
}

/**
 * Deletes the keys whose newest attempt is at or before `since`, so none of their failures
 * still counts. Returns how many keys were deleted.
 */
export async function deleteStaleLoginFailures(db: Executor, since: Date): Promise<number> {
  const rows = await db
    .delete(loginFailures)
    .where(sql`${loginFailures.lastAttemptAt} <= ${timestamptz(since)}`)
    .returning({ kind: loginFailures.kind });
  return rows.length;
}
