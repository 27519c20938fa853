/** One HTTP health request to a new instance, on a connection used once. */
import { get } from "node:http";

/**
 * GETs `url` and resolves with the response status as soon as the headers arrive, then drops
 * the connection. It goes through `node:http` without an agent rather than the built-in
 * `fetch`. On Node 20, `fetch` keeps a connection pool for every address it has called and
 * never drops one. Each instance has its own published port, so every deploy added a pool
 * that lived as long as the process. Rejects with `signal.reason` (a `TimeoutError` for
 * `AbortSignal.timeout`) when the signal aborts first.
 */
export function requestStatus(url: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, signal }, (response) => {
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    request.on("error", (error) => reject(signal.aborted ? signal.reason : error));
  });
}
