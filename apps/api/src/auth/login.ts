import {
  deleteSession,
  deleteUserSessions,
  findUserCredentials,
  getUser,
  updateUser,
} from "@berth/store";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { readJsonBody } from "../http/body.js";
import { assertSameOrigin } from "../http/csrf.js";
import { ApiError } from "../http/errors.js";
import { audit } from "./audit.js";
import { decoyPasswordHash, hashPassword, sha256Hex, verifyPassword } from "./crypto.js";
import { MIN_PASSWORD_LENGTH } from "./first-admin.js";
import { requireAuth } from "./middleware.js";
import type { AuthEnv } from "./principal.js";
import { createStoreLoginLimiter } from "./rate-limit-store.js";
import {
  clearSessionCookie,
  readSessionCookie,
  startSession,
  writeSessionCookie,
} from "./session.js";
import type { AuthRoutesDeps } from "./types.js";

/** Sessions last 7 days from login unless the caller sets another lifetime. */
const DEFAULT_SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

export const loginSchema = z.object({
  username: z.string().min(1).max(200),
  password: z.string().min(1).max(1024),
});

/** Address of the TCP peer; `unknown` when the request did not come through the Node server (tests). */
function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Builds the 429 for a login while its user name or client address is blocked. */
function rateLimited(retryAfter: number): ApiError {
  return new ApiError(
    "rate_limited",
    `too many failed logins: try again in ${retryAfter} seconds`,
    {
      headers: { "Retry-After": String(retryAfter) },
      details: { retryAfterSeconds: retryAfter },
    },
  );
}

export const passwordChangeSchema = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: z.string().min(MIN_PASSWORD_LENGTH).max(1024),
});

/**
 * Routes under `/api/v1/auth`: `POST /login` (JSON `{ username, password }`, sets the session
 * cookie), `POST /logout`, `GET /me`, and `POST /password` to change one's own password.
 */
export function authRoutes(deps: AuthRoutesDeps): Hono<AuthEnv> {
  const now = deps.now ?? (() => new Date());
  const ttlSeconds = deps.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  // Ten failures per user name in 15 minutes, then a pause until the oldest expires. The
  // address limit is higher because users behind one proxy or NAT share an address.
  const userLimiter =
    deps.loginLimiter ??
    createStoreLoginLimiter({ db: deps.db, maxFailures: 10, windowMs: 15 * 60 * 1000 });
  const addressLimiter =
    deps.loginLimiter ??
    createStoreLoginLimiter({ db: deps.db, maxFailures: 100, windowMs: 15 * 60 * 1000 });
  const clientAddress = deps.clientAddress ?? peerAddress;
  const app = new Hono<AuthEnv>();

  app.post("/login", async (c) => {
    assertSameOrigin(c, deps);
    const body = await readJsonBody(c, loginSchema);
    const userKey = { kind: "user" as const, key: body.username.toLowerCase() };
    const addressKey = { kind: "address" as const, key: clientAddress(c) };
    // Both attempts count as failures until the password turns out right.
    const userAttempt = await userLimiter.consume(userKey);
    if (!userAttempt.counted) {
      const addressWait = await addressLimiter.retryAfterSeconds(addressKey);
      throw rateLimited(Math.max(userAttempt.retryAfterSeconds, addressWait));
    }
    const addressAttempt = await addressLimiter.consume(addressKey);
    if (!addressAttempt.counted) {
      await userLimiter.refund(userKey, userAttempt.at);
      throw rateLimited(addressAttempt.retryAfterSeconds);
    }

    const user = await findUserCredentials(deps.db, body.username);
    const hash = user?.passwordHash ?? (await decoyPasswordHash());
    const valid = await verifyPassword(body.password, hash);
    if (!user || !valid || user.disabled) {
      deps.logger?.warn({ username: body.username, address: addressKey.key }, "login failed");
      throw new ApiError("unauthorized", "user name or password is wrong");
    }
    await userLimiter.reset(userKey);
    await addressLimiter.refund(addressKey, addressAttempt.at);

    const loginTime = now();
    const expiresAt = new Date(loginTime.getTime() + ttlSeconds * 1000);
    const token = await startSession(
      deps.db,
      { userId: user.id, expiresAt, now: loginTime },
      deps.logger,
    );
    writeSessionCookie(c, token, expiresAt, deps.secureCookie ?? "auto");
    const principal = {
      type: "user" as const,
      userId: user.id,
      username: user.username,
      role: user.role,
    };
    await audit(deps.db, principal, "session.login", { type: "user", id: user.id });
    return c.json({ user: { id: user.id, username: user.username, role: user.role }, expiresAt });
  });

  app.post("/logout", requireAuth(deps, "viewer", "account"), async (c) => {
    const cookie = readSessionCookie(c);
    if (cookie !== undefined) {
      await deleteSession(deps.db, sha256Hex(cookie));
    }
    clearSessionCookie(c);
    const principal = c.get("principal");
    await audit(deps.db, principal, "session.logout", { type: "user", id: principal.userId });
    return c.body(null, 204);
  });

  app.post("/password", requireAuth(deps, "viewer", "account"), async (c) => {
    const principal = c.get("principal");
    if (principal.type !== "user") {
      throw new ApiError(
        "forbidden",
        "API tokens cannot change passwords: log in with the password instead",
      );
    }
    const body = await readJsonBody(c, passwordChangeSchema);
    const user = await findUserCredentials(deps.db, principal.username);
    if (!user || !(await verifyPassword(body.currentPassword, user.passwordHash))) {
      throw new ApiError(
        "forbidden",
        "current password is wrong: enter the password you logged in with",
      );
    }

    const passwordHash = await hashPassword(body.newPassword);
    const cookie = readSessionCookie(c);
    await deps.db.transaction(async (tx) => {
      await updateUser(tx, user.id, { passwordHash });
      // Other sessions may belong to whoever learned the old password, so they end here.
      await deleteUserSessions(tx, user.id, cookie === undefined ? undefined : sha256Hex(cookie));
      await audit(tx, principal, "user.password_change", { type: "user", id: user.id });
    });
    return c.body(null, 204);
  });

  app.get("/me", requireAuth(deps, "viewer", "account"), async (c) => {
    const principal = c.get("principal");
    const user = await getUser(deps.db, principal.userId);
    const token =
      principal.type === "token"
        ? {
            id: principal.tokenId,
            name: principal.tokenName,
            scope: principal.scope,
            project: principal.project,
          }
        : null;
    return c.json({ user: { id: user.id, username: user.username, role: user.role }, token });
  });

  return app;
}
