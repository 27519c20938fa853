import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How the fault server responds to registry requests. */
export type FaultMode = "pass" | "500" | "429" | "garbage" | "hang" | "slow-tags";

export interface FaultServer {
  url: string;
  /**
   * Sets how the server responds. `slow-tags` passes every request through, but a tag list
   * only after `delayMs`.
   */
  setMode(mode: FaultMode, options?: { retryAfterSeconds?: number; delayMs?: number }): void;
  /** Requests seen, by method and path. */
  requests: string[];
  stop(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 that passes registry requests through to `upstream`, or
 * responds with a fault: a 500, a 429 with `Retry-After`, a truncated JSON body, no response
 * at all until the client gives up, or a tag list passed through late.
 */
export async function startFaultServer(upstream: string): Promise<FaultServer> {
  let mode: FaultMode = "pass";
  let retryAfter: number | undefined;
  let delayMs = 0;
  const requests: string[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    if (mode === "hang") {
      hanging.add(response);
      response.on("close", () => hanging.delete(response));
      return;
    }
    if (mode === "500") {
      response.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      return;
    }
    if (mode === "429") {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (retryAfter !== undefined) {
        headers["retry-after"] = String(retryAfter);
      }
      response.writeHead(429, headers).end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
      return;
    }
    if (mode === "garbage") {
      response.writeHead(200, { "content-type": "application/json" }).end('{"name":"acme/app","ta');
      return;
    }
    if (mode === "slow-tags" && request.url?.includes("/tags/list")) {
      const timer = setTimeout(() => void passThrough(upstream, request, response), delayMs);
      response.on("close", () => clearTimeout(timer));
      return;
    }
    void passThrough(upstream, request, response);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setMode(next, options) {
      mode = next;
      retryAfter = options?.retryAfterSeconds;
      delayMs = options?.delayMs ?? 0;
    },
    async stop() {
      for (const response of hanging) {
        response.destroy();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function passThrough(
  upstream: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const headers = new Headers();
    for (const name of ["accept", "authorization"]) {
      const value = request.headers[name];
      if (typeof value === "string") {
        headers.set(name, value);
      }
    }
    const answer = await fetch(`${upstream}${request.url}`, {
      method: request.method ?? "GET",
      headers,
      redirect: "manual",
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      // fetch has already decoded the body, so its length and encoding headers no longer apply.
      const hopByHop = ["transfer-encoding", "connection", "content-encoding"];
      const bodyLength = name === "content-length" && request.method !== "HEAD";
      if (!hopByHop.includes(name) && !bodyLength) {
        out[name] = value;
      }
    });
    const body = Buffer.from(await answer.arrayBuffer());
    response.writeHead(answer.status, out).end(request.method === "HEAD" ? undefined : body);
  } catch (error) {
    response.writeHead(502).end(String(error));
  }
}
