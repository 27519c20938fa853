import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

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
