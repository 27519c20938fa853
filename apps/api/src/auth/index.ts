export { type AuditTarget, audit } from "./audit.js";
export { auditRoutes } from "./audit-routes.js";
export { hashPassword, randomToken, sha256Hex, verifyPassword } from "./crypto.js";
export {
  type EnsureFirstAdminOptions,
  ensureFirstAdmin,
  type FirstAdminResult,
  MIN_PASSWORD_LENGTH,
} from "./first-admin.js";
export { authRoutes } from "./login.js";
export { type RequireAuthDeps, requireAuth } from "./middleware.js";
export {
  type AccessLevel,
  type AuthEnv,
  accessLevelOf,
  describePrincipal,
  hasAccess,
  type Principal,
} from "./principal.js";
export {
  createLoginLimiter,
  type LoginAttempt,
  type LoginLimiter,
  type LoginLimiterOptions,
} from "./rate-limit.js";
export { createStoreLoginLimiter, type StoreLoginLimiterOptions } from "./rate-limit-store.js";
export { SESSION_COOKIE, type SecureCookieMode } from "./session.js";
export { TOKEN_PREFIX, tokenRoutes } from "./tokens.js";
export type { AuthRoutesDeps } from "./types.js";
export { parseId, userRoutes } from "./users.js";
