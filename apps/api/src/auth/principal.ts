import type { TokenScope, UserRole } from "@berth/store";

/** The caller of a request: a user through a session cookie, or an API token of a user. */
export type Principal =
  | { type: "user"; userId: string; username: string; role: UserRole }
  | {
      type: "token";
      userId: string;
      username: string;
      role: UserRole;
      tokenId: string;
      tokenName: string;
      scope: TokenScope;
      /** The one project the token may reach, or null for every project. */
      project: { id: string; slug: string } | null;
    };

/** Access a route requires. Each level includes the ones below it. */
export type AccessLevel = "viewer" | "operator" | "admin";

const ROLE_LEVEL: Record<UserRole, number> = { viewer: 1, operator: 2, admin: 3 };
/** Token scopes line up with roles: `read` can view, `deploy` can operate, `admin` can administer. */
const SCOPE_LEVEL: Record<TokenScope, number> = { read: 1, deploy: 2, admin: 3 };
const LEVEL: Record<AccessLevel, number> = { viewer: 1, operator: 2, admin: 3 };

/** Returns the level a principal has. A token never grants more than its owner's role. */
export function accessLevelOf(principal: Principal): number {
  const role = ROLE_LEVEL[principal.role];
  return principal.type === "token" ? Math.min(role, SCOPE_LEVEL[principal.scope]) : role;
}

export function hasAccess(principal: Principal, required: AccessLevel): boolean {
  return accessLevelOf(principal) >= LEVEL[required];
}

/** Returns the highest token scope a principal may create, which is never more than it holds. */
export function maxScopeFor(principal: Principal): TokenScope {
  const level = accessLevelOf(principal);
  if (level >= 3) {
    return "admin";
  }
  return level === 2 ? "deploy" : "read";
}

export function scopeLevel(scope: TokenScope): number {
  return SCOPE_LEVEL[scope];
}

/** Hono context variables set by `requireAuth`. */
export interface AuthEnv {
  Variables: { principal: Principal };
}

/** Returns a short label for logs and the audit log, e.g. `alice` or `alice (token deploy-ci)`. */
export function describePrincipal(principal: Principal): string {
  return principal.type === "token"
    ? `${principal.username} (token ${principal.tokenName})`
    : principal.username;
}
