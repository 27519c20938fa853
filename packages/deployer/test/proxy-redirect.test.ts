import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { ProxyError } from "../src/errors.js";
import { createProxyManagerClient } from "../src/proxy/client.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Starts a server on 127.0.0.1 that records each request's path, authorization and body. */
async function startServer(status: number, headers: (origin: string) => Record<string, string>) {
  const received: Array<{ path: string; authorization: string | undefined; body: string }> = [];
  let origin = "";
  const server = createServer(async (request, response) => {
    received.push({
      path: request.url ?? "",
      authorization: request.headers.authorization,
      body: await readBody(request),
    });
    response.writeHead(status, { "content-type": "application/json", ...headers(origin) });
    response.end("{}");
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, received };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

describe("proxy manager redirects", () => {
  test.each([302, 307, 308])("%i to another origin gets no password", async (status) => {
    const other = await startServer(200, () => ({}));
    const manager = await startServer(status, () => ({ location: `${other.origin}/api/tokens` }));
    const client = createProxyManagerClient({
      url: manager.origin,
      email: "admin@example.test",
      password: "npm-password",
    });

    const error = await client.listProxyHosts().then(
      () => undefined,
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(ProxyError);
    expect((error as Error).message).toContain(`redirected to ${other.origin}/api/tokens`);
    expect(manager.received.map((request) => request.path)).toEqual(["/api/tokens"]);
    expect(other.received).toEqual([]);
  });
});
