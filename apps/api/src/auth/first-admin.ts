import { countUsersWithRole, createUser, type Database, StoreError } from "@berth/store";
import { audit } from "./audit.js";
import { hashPassword, randomToken } from "./crypto.js";

/** Shortest admin password accepted from `BERTH_ADMIN_PASSWORD`. */
export const MIN_PASSWORD_LENGTH = 12;

export interface EnsureFirstAdminOptions {
  db: Database;
  /** The `BERTH_ADMIN_PASSWORD` value, if set. */
  password?: string | undefined;
  username?: string | undefined;
}

export type FirstAdminResult =
  | { created: false }
  /** `generatedPassword` is set only when no password was given; print it once, store it nowhere. */
  | { created: true; username: string; generatedPassword?: string };

/**
 * Creates the first admin when no admin exists: with the given password, or a generated one
 * that the caller shows once. Several processes starting together create one admin: the
 * losers of the unique user name return `{ created: false }`.
 */
export async function ensureFirstAdmin(
  options: EnsureFirstAdminOptions,
): Promise<FirstAdminResult> {
  if ((await countUsersWithRole(options.db, "admin")) > 0) {
    return { created: false };
  }
  if (options.password !== undefined && options.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(
      `BERTH_ADMIN_PASSWORD is ${options.password.length} characters long: use at least ${MIN_PASSWORD_LENGTH}, or unset it to have one generated`,
    );
  }

  const username = options.username ?? "admin";
  const generatedPassword = options.password === undefined ? randomToken(18) : undefined;
  const password = options.password ?? generatedPassword ?? "";
  try {
    const user = await createUser(options.db, {
      username,
      passwordHash: await hashPassword(password),
      role: "admin",
    });
    await audit(
      options.db,
      "system",
      "user.create",
      { type: "user", id: user.id },
      {
        username,
        role: "admin",
        firstAdmin: true,
      },
    );
  } catch (error) {
    if (error instanceof StoreError && error.kind === "unique_violation") {
      return { created: false };
    }
    throw error;
  }
  return generatedPassword === undefined
    ? { created: true, username }
    : { created: true, username, generatedPassword };
}
