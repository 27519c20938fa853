import type { Context } from "hono";
import type { Logger } from "pino";
import type { RequireAuthDeps } from "./middleware.js";
import type { LoginLimiter } from "./rate-limit.js";
import type { SecureCookieMode } from "./session.js";

/** Dependencies of the auth, user and token routes. */
export interface AuthRoutesDeps extends RequireAuthDeps {
  logger?: Logger | undefined;
  /** `Secure` on the session cookie; `auto` sets it when the request came over HTTPS. */
  secureCookie?: SecureCookieMode | undefined;
  sessionTtlSeconds?: number | undefined;
  /**
   * Replaces both default login limits (10 failures per user name, 100 per address, per 15
   * minutes), which count in the database.
   */
  loginLimiter?: LoginLimiter | undefined;
  /**
   * Client address for the login rate limit; the default is the TCP peer. Behind a reverse
   * proxy, pass a function that reads the address the proxy forwards.
   */
  clientAddress?: ((c: Context) => string) | undefined;
}
