import { asc, eq, sql } from "drizzle-orm";
import { notFound, toStoreError } from "../errors.js";
import { type UserRole, users } from "../schema.js";
import type { Executor } from "./candidates.js";

/** A user without the password hash, as the API shows it. */
export interface UserSummary {
  id: string;
  username: string;
  role: UserRole;
  disabled: boolean;
  createdAt: Date;
}

/** A user with the password hash, for login only. */
export interface UserCredentials extends UserSummary {
  passwordHash: string;
}

const summaryColumns = {
  id: users.id,
  username: users.username,
  role: users.role,
  disabled: users.disabled,
  createdAt: users.createdAt,
};

export interface NewUser {
  username: string;
  passwordHash: string;
  role: UserRole;
}

/** Inserts a user; a taken username (compared without case) raises a `unique_violation`. */
export async function createUser(db: Executor, user: NewUser): Promise<UserSummary> {
  try {
    const [row] = await db.insert(users).values(user).returning(summaryColumns);
    if (!row) {
      throw notFound("users", user.username);
    }
    return row;
  } catch (error) {
    throw toStoreError(error);
  }
}

/** Finds a user by name without regard to case, with the hash, or `undefined`. */
export async function findUserCredentials(
  db: Executor,
  username: string,
): Promise<UserCredentials | undefined> {
  const [row] = await db
    .select({ ...summaryColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`);
  return row;
}

/** Returns one user; raises `not_found` for an unknown id. */
export async function getUser(db: Executor, id: string): Promise<UserSummary> {
  const [row] = await db.select(summaryColumns).from(users).where(eq(users.id, id));
  if (!row) {
    throw notFound("user", id);
  }
  return row;
}

export async function listUsers(db: Executor): Promise<UserSummary[]> {
  return db.select(summaryColumns).from(users).orderBy(asc(users.username));
}

/** Counts users of one role; the first-start check uses it to find whether an admin exists. */
export async function countUsersWithRole(db: Executor, role: UserRole): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(users)
    .where(eq(users.role, role));
  return row?.count ?? 0;
}

/** Deletes a user with their sessions and tokens (cascade); raises `not_found` for an unknown id. */
export async function deleteUser(db: Executor, id: string): Promise<UserSummary> {
  const [row] = await db.delete(users).where(eq(users.id, id)).returning(summaryColumns);
  if (!row) {
    throw notFound("user", id);
  }
  return row;
}

/** A change to a user; fields left out stay as they are. */
export interface UserPatch {
  role?: UserRole;
  disabled?: boolean;
  passwordHash?: string;
}

/** Updates a user; raises `not_found` for an unknown id. */
export async function updateUser(db: Executor, id: string, patch: UserPatch): Promise<UserSummary> {
  const [row] = await db
    .update(users)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning(summaryColumns);
  if (!row) {
    throw notFound("user", id);
  }
  return row;
}
