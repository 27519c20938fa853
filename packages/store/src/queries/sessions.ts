import { and, eq, gt, lt, ne } from "drizzle-orm";
import { sessions, type UserRole, users } from "../schema.js";
import type { Executor } from "./candidates.js";

export interface NewSession {
  /** SHA-256 of the cookie value, hex. */
  tokenHash: string;
  userId: string;
  expiresAt: Date;
}

/** The user behind a live session. */
export interface SessionUser {
  userId: string;
  username: string;
  role: UserRole;
  expiresAt: Date;
}

export async function createSession(db: Executor, session: NewSession): Promise<void> {
  await db.insert(sessions).values(session);
}

/**
 * Finds the enabled user of an unexpired session and records that the session was used.
 * Returns `undefined` for an unknown, expired or disabled session.
 */
export async function touchSession(
  db: Executor,
  tokenHash: string,
  now: Date,
): Promise<SessionUser | undefined> {
  const [row] = await db
    .select({
      userId: users.id,
      username: users.username,
      role: users.role,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.tokenHash, tokenHash),
        gt(sessions.expiresAt, now),
        eq(users.disabled, false),
      ),
    );
  if (row) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.tokenHash, tokenHash));
  }
  return row;
}

export async function deleteSession(db: Executor, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
}

/** Deletes sessions that expired before `now`; returns how many. */
export async function deleteExpiredSessions(db: Executor, now: Date): Promise<number> {
  const rows = await db
    .delete(sessions)
    .where(lt(sessions.expiresAt, now))
    .returning({ tokenHash: sessions.tokenHash });
  return rows.length;
}

/** Deletes a user's sessions except `keepTokenHash`, e.g. after a password change. */
export async function deleteUserSessions(
  db: Executor,
  userId: string,
  keepTokenHash?: string | undefined,
): Promise<void> {
  const mine = eq(sessions.userId, userId);
  await db
    .delete(sessions)
    .where(keepTokenHash ? and(mine, ne(sessions.tokenHash, keepTokenHash)) : mine);
}
