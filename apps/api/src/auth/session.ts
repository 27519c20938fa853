import { createSession, type Database, deleteExpiredSessions } from "@berth/store";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Logger } from "pino";
import { randomToken, sha256Hex } from "./crypto.js";

export const SESSION_COOKIE = "berth_session";

/** Whether the session cookie carries `Secure`: always, never, or when the request came over HTTPS. */
export type SecureCookieMode = boolean | "auto";

/**
 * True when the request reached the server over HTTPS, directly or through a proxy that sets
 * `X-Forwarded-Proto`. A client forging that header only makes its own cookie HTTPS-only.
 */
function cameOverHttps(c: Context): boolean {
  if (new URL(c.req.url).protocol === "https:") {
    return true;
  }
  return c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** Sets the session cookie: HttpOnly so scripts cannot read it, SameSite=Strict against CSRF. */
export function writeSessionCookie(
  c: Context,
  value: string,
  expiresAt: Date,
  secure: SecureCookieMode,
): void {
  setCookie(c, SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: "Strict",
    secure: secure === "auto" ? cameOverHttps(c) : secure,
    path: "/",
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

/**
 * Stores a new session for the user and returns its cookie value. Expired sessions of every
 * user are deleted in the same step, so the table contains the live sessions plus those that
 * expired since the last login.
 */
export async function startSession(
  db: Database,
  session: { userId: string; expiresAt: Date; now: Date },
  logger?: Logger | undefined,
): Promise<string> {
  const deleted = await deleteExpiredSessions(db, session.now);
  if (deleted > 0) {
    logger?.info({ deleted }, "deleted expired sessions");
  }

  const token = randomToken();
  await createSession(db, {
    tokenHash: sha256Hex(token),
    userId: session.userId,
    expiresAt: session.expiresAt,
  });
  return token;
}
