import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEFAULT_BODY_LIMIT_BYTES } from "../src/http/body.js";
import { DEFAULT_WEBHOOK_BODY_LIMIT_BYTES } from "../src/webhooks/routes.js";
import { seedUser, TEST_PASSWORD, useDatabase } from "./helpers.js";
import { fullApp } from "./ops-helpers.js";

/** How long a test keeps sending before it gives up waiting for the 413. */
const SEND_LIMIT_MS = 5000;

interface SlowUpload {
  /** The response's status line, e.g. `HTTP/1.1 413 Payload Too Large`. */
  statusLine: string;
  /** Body bytes written to the socket before the response arrived. */
  bytesSent: number;
}

/**
 * Sends a request head, then the body in `chunkBytes` pieces every `intervalMs`, until the
 * server responds, `totalBytes` are sent, or `SEND_LIMIT_MS` passes.
 */
function slowUpload(
  port: number,
  head: string,
  options: { chunkBytes: number; intervalMs: number; totalBytes: number; chunked: boolean },
): Promise<SlowUpload> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    let bytesSent = 0;
    let timer: NodeJS.Timeout | undefined;
    const started = Date.now();
    const finish = (statusLine: string) => {
      clearInterval(timer);
      socket.destroy();
      resolve({ statusLine, bytesSent });
    };

    socket.on("error", (error) => (answer ? finish(answer.split("\r\n")[0] ?? "") : reject(error)));
    socket.on("data", (data) => {
      answer += data.toString("latin1");
      if (answer.includes("\r\n")) finish(answer.split("\r\n")[0] ?? "");
    });
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (bytesSent >= options.totalBytes || Date.now() - started > SEND_LIMIT_MS) {
          finish("(no answer)");
          return;
        }
        const piece = "x".repeat(options.chunkBytes);
        socket.write(options.chunked ? `${piece.length.toString(16)}\r\n${piece}\r\n` : piece);
        bytesSent += piece.length;
      }, options.intervalMs);
    });
  });
}

/** Body bytes the app pulled from webhook requests, and the largest single piece. */
interface BodyReads {
  bytes: number;
  largestPiece: number;
}

/**
 * Wraps the app's fetch so each `/hooks/` request body is counted as the app reads it. The
 * wrapper reads only when the app requests more (high-water mark 0), so the count is what
 * the app pulled, not what the socket buffered.
 */
function countingHookBodies(fetch: FetchHandler, reads: BodyReads): FetchHandler {
  return (request, env) => {
    if (!request.body || !new URL(request.url).pathname.startsWith("/api/v1/hooks/")) {
      return fetch(request, env);
    }
    const reader = request.body.getReader();
    const counted = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          reads.bytes += value.byteLength;
          reads.largestPiece = Math.max(reads.largestPiece, value.byteLength);
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    const init: RequestInit & { duplex: "half" } = { body: counted, duplex: "half" };
    return fetch(new Request(request, init), env);
  };
}

type FetchHandler = (request: Request, env: unknown) => Response | Promise<Response>;

describe("oversized bodies on a listening server", () => {
  const database = useDatabase("pglite");
  let server: ReturnType<typeof serve>;
  let port = 0;
  let cookie = "";
  const hookReads: BodyReads = { bytes: 0, largestPiece: 0 };

  beforeAll(async () => {
    const handle = database();
    const app = fullApp(handle);
    await seedUser(handle, "admin", "admin");
    const signIn = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: TEST_PASSWORD }),
    });
    cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    await new Promise<void>((resolve) => {
      const fetch = countingHookBodies(app.fetch, hookReads);
      server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    if ("closeAllConnections" in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function head(path: string, length: string) {
    const size = length === "chunked" ? "Transfer-Encoding: chunked" : `Content-Length: ${length}`;
    return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\n${size}\r\n\r\n`;
  }

  test("declared length over limit: 413 at once", async () => {
    const upload = await slowUpload(port, head("/api/v1/registries", String(50 * 1024 * 1024)), {
      chunkBytes: 1024,
      intervalMs: 20,
      totalBytes: 50 * 1024 * 1024,
      chunked: false,
    });

    expect(upload.statusLine).toMatch(/^HTTP\/1\.1 413/);
    expect(upload.bytesSent).toBeLessThan(64 * 1024);
  });

  test("slow chunked body: 413 near the limit", async () => {
    const upload = await slowUpload(port, head("/api/v1/registries", "chunked"), {
      chunkBytes: 64 * 1024,
      intervalMs: 5,
      totalBytes: 8 * DEFAULT_BODY_LIMIT_BYTES,
      chunked: true,
    });

    expect(upload.statusLine).toMatch(/^HTTP\/1\.1 413/);
    expect(upload.bytesSent).toBeLessThan(3 * DEFAULT_BODY_LIMIT_BYTES);
  });

  test("chunked webhook body: 413 at webhook limit", async () => {
    hookReads.bytes = 0;
    hookReads.largestPiece = 0;

    const upload = await slowUpload(port, head("/api/v1/hooks/github", "chunked"), {
      chunkBytes: 16 * 1024,
      intervalMs: 5,
      totalBytes: 16 * DEFAULT_WEBHOOK_BODY_LIMIT_BYTES,
      chunked: true,
    });

    expect(upload.statusLine).toMatch(/^HTTP\/1\.1 413/);
    expect(hookReads.bytes).toBeGreaterThan(DEFAULT_WEBHOOK_BODY_LIMIT_BYTES);
    expect(hookReads.bytes).toBeLessThanOrEqual(
      DEFAULT_WEBHOOK_BODY_LIMIT_BYTES + hookReads.largestPiece,
    );
  });
});
