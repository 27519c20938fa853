import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";

/** Responses that must not carry a body (Fetch standard, "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export interface NodeFetch {
  fetch: typeof globalThis.fetch;
  /** Counts TCP connections opened so far. */
  connections(): number;
  close(): void;
}

/**
 * Creates a `fetch` on `node:http` keep-alive agents, for ofetch. undici (Node 20's fetch, and
 * the undici package 7.30) closes the connection after every HEAD response that has a
 * `Content-Length`, and every manifest HEAD has one. So a poll of 200 repositories opened 200
 * connections, where `node:http` keeps one open. Bodies are read whole, and redirects are
 * returned, not followed.
 */
export function createNodeFetch(maxSockets: number): NodeFetch {
  const options = {
    keepAlive: true,
    keepAliveMsecs: 30_000,
    maxSockets,
    maxFreeSockets: maxSockets,
  };
  const http = new HttpAgent(options);
  const https = new HttpsAgent(options);
  const seen = new WeakSet<Socket>();
  let connections = 0;

  const sendOnce = (url: URL, method: string, init: RequestInit): Promise<Response> => {
    const isHttps = url.protocol === "https:";
    const send = isHttps ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const request = send(url, {
        method,
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        agent: isHttps ? https : http,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      request.on("socket", (socket) => {
        if (!seen.has(socket)) {
          seen.add(socket);
          connections += 1;
        }
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        reject(
          request.reusedSocket && isStaleSocketError(error) ? new StaleSocketError(error) : error,
        );
      });
      request.on("response", (response) => {
        readResponse(response, method).then(resolve, reject);
      });
      request.end();
    });
  };

  const fetch = async (
    input: string | URL | Request,
    init: RequestInit = {},
  ): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const method = (init.method ?? "GET").toUpperCase();
    try {
      return await sendOnce(url, method, init);
    } catch (error) {
      // A server may close an idle keep-alive connection just as it is reused. GET and HEAD
      // are safe to repeat, once, on a fresh connection (the pattern Node's docs give).
      if (error instanceof StaleSocketError && (method === "GET" || method === "HEAD")) {
        return await sendOnce(url, method, init);
      }
      throw error instanceof StaleSocketError ? error.cause : error;
    }
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    connections: () => connections,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

/** An error on a reused keep-alive connection that the server had already closed. */
class StaleSocketError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

function isStaleSocketError(error: NodeJS.ErrnoException): boolean {
  return error.code === "ECONNRESET" || error.code === "EPIPE";
}

async function readResponse(response: IncomingMessage, method: string): Promise<Response> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) {
    chunks.push(chunk as Buffer);
  }
  if (!response.complete) {
    throw new Error("the connection closed before the response body ended");
  }

  const status = response.statusCode ?? 0;
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    headers.append(raw[index] ?? "", raw[index + 1] ?? "");
  }
  const body = method === "HEAD" || NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks);
  return new Response(body, { status, statusText: response.statusMessage ?? "", headers });
}
