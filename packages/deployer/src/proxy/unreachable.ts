/** Telling a proxy manager that is down apart from one that rejected a request. */
import { ProxyError } from "../errors.js";
import { InvalidResponseError } from "./responses.js";

/**
 * True when `error` means Nginx Proxy Manager could not be reached or could not serve the
 * request: no response (connection refused, timeout), a response broken off, or an HTTP 5xx
 * such as a reverse proxy's 502 while NPM restarts, on the login too. A 4xx (bad login,
 * conflict, invalid host), a redirect or a 2xx body Berth cannot read is a real response and
 * returns false.
 */
export function isProxyUnreachable(error: unknown): boolean {
  if (!(error instanceof ProxyError)) return false;
  if (error.statusCode !== undefined && error.statusCode >= 500) return true;
  // The client attaches a `cause` only to failed connections, broken-off bodies and
  // unreadable 2xx bodies, and marks the last with `InvalidResponseError`.
  return (
    error.kind === "other" &&
    error.cause !== undefined &&
    !(error.cause instanceof InvalidResponseError)
  );
}
