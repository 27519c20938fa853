import type { Context } from "hono";
import { ApiError } from "./errors.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Options for the cross-origin check. */
export interface CrossOriginOptions {
  /** Origins besides the server's own that may send state-changing requests, e.g. `https://berth.example.test`. */
  trustedOrigins?: readonly string[] | undefined;
}

/**
 * Rejects a state-changing request that a browser sent from another site (403). Browsers
 * send `Origin` on every request whose method is not GET or HEAD (Fetch standard), and
 * `Sec-Fetch-Site` on requests to HTTPS origins. A request with neither comes from a
 * non-browser client. Such a client cannot be tricked into carrying a victim's cookie, so
 * the request passes.
 *
 * The server's own origin is taken from the `Host` header, so this holds behind a proxy that
 * keeps `Host`; a proxy that rewrites it needs the public origin in `trustedOrigins`.
 */
export function assertSameOrigin(c: Context, options: CrossOriginOptions = {}): void {
  if (SAFE_METHODS.has(c.req.method)) {
    return;
  }
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    if (isOwnOrigin(c, origin) || options.trustedOrigins?.includes(origin)) {
      return;
    }
    throw new ApiError(
      "forbidden",
      `cross-origin request from ${origin} rejected: open the dashboard at this server's own address or add the origin to the trusted origins`,
    );
  }
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new ApiError(
      "forbidden",
      `cross-site request (Sec-Fetch-Site: ${site}) rejected: send it from the dashboard`,
    );
  }
}

function isOwnOrigin(c: Context, origin: string): boolean {
  const host = c.req.header("host");
  if (!host) {
    return false;
  }
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
