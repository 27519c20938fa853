/**
 * An HTTP forwarder on 127.0.0.1 in front of one server the test started (a registry, the
 * proxy manager stand-in), which a test switches between passing traffic and a fault.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * - `pass`: forwards every request unchanged.
 * - `refuse`: stops listening, so a connection attempt gets ECONNREFUSED.
 * - `stall`: accepts requests and never responds to them.
 * - `rate-limit`: returns 429 with `Retry-After: retryAfterSeconds`.
 */
export type FaultMode = "pass" | "refuse" | "stall" | "rate-limit";

export interface FaultForwarder {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, as a registry host in image references. */
  host: string;
  mode(): FaultMode;
  /** Switches the mode and cuts open connections, so no client keeps one from before. */
  setMode(mode: FaultMode, options?: { retryAfterSeconds?: number }): Promise<void>;
  /** Requests received in each mode since the forwarder started. */
  counts(): Record<FaultMode, number>;
  stop(): Promise<void>;
}

/** Starts a forwarder to `target` (e.g. `http://127.0.0.1:5000`) in `pass` mode. */
export async function startFaultForwarder(target: string): Promise<FaultForwarder> {
  const upstream = new URL(target);
  let mode: FaultMode = "pass";
  let retryAfterSeconds = 60;
  const counts: Record<FaultMode, number> = { pass: 0, refuse: 0, stall: 0, "rate-limit": 0 };
  const sockets = new Set<Socket>();

  const server = createServer((incoming, outgoing) => {
    counts[mode] += 1;
    if (mode === "stall") {
      return;
    }
    if (mode === "rate-limit") {
      outgoing.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(retryAfterSeconds),
      });
      outgoing.end(JSON.stringify({ errors: [{ code: "TOOMANYREQUESTS", message: "slow down" }] }));
      return;
    }
    forward(upstream, incoming, outgoing);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await listen(server, 0);
  const address = server.address();
  if (typeof address !== "object" || !address) {
    throw new Error("fault forwarder: the server has no TCP address");
  }
  const port = address.port;

  const cutConnections = () => {
    for (const socket of sockets) socket.destroy();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    mode: () => mode,
    async setMode(next, options = {}) {
      retryAfterSeconds = options.retryAfterSeconds ?? retryAfterSeconds;
      cutConnections();
      if (next === "refuse" && server.listening) {
        await new Promise((resolve) => server.close(resolve));
      } else if (next !== "refuse" && !server.listening) {
        // The same port again, so every client configured with the URL reaches it.
        await listen(server, port);
      }
      mode = next;
    },
    counts: () => ({ ...counts }),
    async stop() {
      cutConnections();
      if (server.listening) {
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function forward(upstream: URL, incoming: IncomingMessage, outgoing: ServerResponse): void {
  const proxied = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: incoming.headers,
    },
    (reply) => {
      outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(outgoing);
    },
  );
  proxied.on("error", () => outgoing.destroy());
  incoming.pipe(proxied);
}
