import { type Database, touchSession, useApiToken } from "@berth/store";
import type { Context, MiddlewareHandler } from "hono";
import { assertSameOrigin, type CrossOriginOptions } from "../http/csrf.js";
import { ApiError } from "../http/errors.js";
import { sha256Hex } from "./crypto.js";
import { type AccessLevel, type AuthEnv, hasAccess, type Principal } from "./principal.js";
import { assertReach, type RouteReach } from "./project-limit.js";
import { readSessionCookie } from "./session.js";

export interface RequireAuthDeps extends CrossOriginOptions {
  db: Database;
  now?: () => Date;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Requires a session cookie or an API token (`Authorization: Bearer …`) with at least the
 * given access level, and sets `principal`. No or an invalid credential gives 401, too low a
 * role or scope 403. A state-changing request authenticated by the cookie must also come
 * from the server's own origin, since browsers attach cookies to cross-site requests too.
 * A token limited to one project gets 403 unless `reach` marks the route as project-owned
 * (the route then checks each id with `requireInProject`) or about the caller's own account.
 */
export function requireAuth(
  deps: RequireAuthDeps,
  level: AccessLevel = "viewer",
  reach: RouteReach = "global",
): MiddlewareHandler<AuthEnv> {
  const now = deps.now ?? (() => new Date());
  return async (c, next) => {
    const principal = await authenticate(c, deps.db, now());
    if (principal.type === "user") {
      assertSameOrigin(c, deps);
    }
    if (!hasAccess(principal, level)) {
      const granted =
        principal.type === "token" ? `token scope ${principal.scope}` : `role ${principal.role}`;
      throw new ApiError(
        "forbidden",
        `${c.req.method} ${c.req.path} requires ${level} access and the ${granted} does not grant it: ask an admin`,
      );
    }
    assertReach(principal, reach, { method: c.req.method, path: c.req.path, level });
    c.set("principal", principal);
    await next();
  };
}

async function authenticate(c: Context, db: Database, now: Date): Promise<Principal> {
  const authorization = c.req.header("authorization");
  if (authorization !== undefined) {
    return authenticateToken(db, authorization, now);
  }
  const cookie = readSessionCookie(c);
  if (cookie !== undefined) {
    const session = await touchSession(db, sha256Hex(cookie), now);
    if (!session) {
      throw new ApiError("unauthorized", "session expired or signed out: log in again");
    }
    return { type: "user", userId: session.userId, username: session.username, role: session.role };
  }
  throw new ApiError(
    "unauthorized",
    "authentication required: log in, or send an API token as Authorization: Bearer <token>",
  );
}

async function authenticateToken(db: Database, header: string, now: Date): Promise<Principal> {
  const token = BEARER.exec(header)?.[1];
  if (!token) {
    throw new ApiError(
      "unauthorized",
      "Authorization header is not a bearer token: send Authorization: Bearer <token>",
    );
  }
  const owner = await useApiToken(db, sha256Hex(token), now);
  if (!owner) {
    throw new ApiError(
      "unauthorized",
      "API token is unknown, revoked or expired: create a new token",
    );
  }
  return { type: "token", ...owner };
}
