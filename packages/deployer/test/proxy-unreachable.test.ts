/**
 * Which proxy manager failures make recovery wait: each case is a real client request to a
 * server on 127.0.0.1 that fails in one way.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startNpmStandIn } from "@berth/testing";
import { afterEach, describe, expect, test } from "vitest";
import { createProxyManagerClient } from "../src/proxy/client.js";
import { isProxyUnreachable } from "../src/proxy/unreachable.js";

const servers: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

async function listen(handler: RequestListener): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push({
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Serves a login, then responds to every other request with `status` and `body`. */
function afterLogin(status: number, body: string, headers: Record<string, string> = {}) {
  return listen((request, response) => {
    if (request.url === "/api/tokens") {
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      response.writeHead(200).end(JSON.stringify({ token: "t", expires }));
      return;
    }
    response.writeHead(status, headers).end(body);
  });
}

/** Returns the error of one proxy-host listing against `url`. */
async function listingError(url: string, password = "secret", timeoutMs = 2000) {
  const client = createProxyManagerClient({ url, email: "a@b.test", password, timeoutMs });
  return client.listProxyHosts().then(
    () => {
      throw new Error(`listing proxy hosts at ${url} succeeded, expected a failure`);
    },
    (error: unknown) => error,
  );
}

async function closedPortUrl(): Promise<string> {
  const url = await listen(() => undefined);
  await servers.pop()?.stop();
  return url;
}

describe("proxy manager unreachable", () => {
  test.each([
    { failure: "connection refused", error: async () => listingError(await closedPortUrl()) },
    {
      failure: "request timed out",
      error: async () => listingError(await listen(() => undefined), "secret", 200),
    },
    {
      failure: "HTTP 502 on login",
      error: async () => listingError(await listen((_q, r) => r.writeHead(502).end("down"))),
    },
    {
      failure: "HTTP 500 on a request",
      error: async () => listingError(await afterLogin(500, "")),
    },
  ])("$failure waits", async ({ error }) => {
    expect(isProxyUnreachable(await error())).toBe(true);
  });

  test.each([
    {
      failure: "wrong password",
      error: async () => {
        const npm = await startNpmStandIn();
        servers.push(npm);
        return listingError(npm.url, "wrong");
      },
    },
    { failure: "HTTP 404", error: async () => listingError(await afterLogin(404, "{}")) },
    {
      failure: "redirect",
      error: async () => listingError(await afterLogin(302, "", { location: "/elsewhere" })),
    },
    {
      failure: "2xx body not JSON",
      error: async () => listingError(await afterLogin(200, "<html>")),
    },
    {
      failure: "2xx body of wrong shape",
      error: async () => listingError(await afterLogin(200, "{}")),
    },
    { failure: "not a proxy error", error: async () => new Error("connect ECONNREFUSED") },
  ])("$failure fails", async ({ error }) => {
    expect(isProxyUnreachable(await error())).toBe(false);
  });
});
