import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

export interface SecurityHeadersOptions {
  /**
   * `Content-Security-Policy` for every response. The default allows only same-origin
   * resources; a dashboard that needs inline scripts passes its own policy.
   */
  contentSecurityPolicy?: string | undefined;
}

const DEFAULT_CSP =
  "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/**
 * Sets security headers on every response: no framing, no MIME sniffing, no referrer, HSTS
 * (ignored by browsers on plain HTTP), a same-origin resource policy and a CSP.
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): MiddlewareHandler {
  const policy = options.contentSecurityPolicy ?? DEFAULT_CSP;
  const headers = secureHeaders({
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    crossOriginResourcePolicy: "same-origin",
  });
  return async (c, next) => {
    await headers(c, next);
    c.header("Content-Security-Policy", policy);
  };
}
