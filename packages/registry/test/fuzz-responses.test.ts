import type { ServerResponse } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRegistry, type Registry, RegistryError } from "../src/index.js";
import { type FakeServer, startFakeServer } from "./support/fake-server.js";

/** A fixed seed makes a failure repeatable; each run is one request to a local server. */
const RUNS = { seed: 20261204, numRuns: 150 };

/** One generated registry response: every path of the fake server returns it. */
interface Reply {
  status: number;
  contentType: string | undefined;
  body: Uint8Array;
  link: string | undefined;
}

const TAGS_JSON = JSON.stringify({ name: "acme/app", tags: ["1.0.0", "1.1.0", "latest"] });
const encode = (text: string) => new TextEncoder().encode(text);

function deepNesting(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

const body = fc.oneof(
  fc.integer({ min: 0, max: TAGS_JSON.length }).map((cut) => encode(TAGS_JSON.slice(0, cut))),
  fc.jsonValue({ maxDepth: 4 }).map((value) => encode(JSON.stringify(value) ?? "")),
  fc.record({ name: fc.jsonValue(), tags: fc.jsonValue() }).map((v) => encode(JSON.stringify(v))),
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 1000, max: 50_000 }).map((depth) => encode(deepNesting(depth))),
  fc.constant(encode("<html><body>Bad gateway</body></html>")),
  fc.constant(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x5b, 0x5d, 0x7d])),
);

/** Next links that loop, leave the registry's host, or are not URLs at all. */
const link = fc.option(
  fc.oneof(
    fc.constant('</v2/acme/app/tags/list?n=100&last=latest>; rel="next"'),
    fc.constant('<http://[::1>; rel="next"'),
    fc.constant('<http://127.0.0.1:1/v2/acme/app/tags/list>; rel="next"'),
    fc.constant('<javascript:alert(1)>; rel="next"'),
    fc.string({ maxLength: 200 }),
    fc.string({ maxLength: 30 }).map((text) => `<${text}>; rel="next"`),
  ),
  { nil: undefined },
);

const reply: fc.Arbitrary<Reply> = fc.record({
  status: fc.constantFrom(200, 200, 200, 204, 206, 301, 404, 418, 429, 500, 503),
  contentType: fc.constantFrom(
    "application/json",
    "text/html",
    "application/octet-stream",
    "application/vnd.oci.image.index.v1+json",
    undefined,
  ),
  body,
  link,
});

let current: Reply | undefined;
let server: FakeServer;
let registries: Registry[];

function send(response: ServerResponse) {
  const next = current;
  if (!next) {
    response.writeHead(500).end();
    return;
  }
  const headers: Record<string, string> = {};
  if (next.contentType) headers["content-type"] = next.contentType;
  if (next.link) headers.link = next.link.replace(/[^\t\x20-\x7e]/g, "?");
  if (next.status === 301) headers.location = "/elsewhere";
  response.writeHead(next.status, headers);
  response.end(next.body);
}

beforeAll(async () => {
  server = await startFakeServer((_request, response) => send(response));
  const options = { url: server.url, timeoutMs: 2000, maxPages: 5, concurrency: 2 };
  registries = [
    createRegistry({ type: "oci", name: "fuzz-oci", ...options }),
    createRegistry({ type: "gitea", name: "fuzz-gitea", ...options }),
  ];
});

afterAll(async () => {
  await Promise.all(registries.map((registry) => registry.close()));
  await server.stop();
});

/** Awaits `promise` and returns what it rejected with, or `undefined`. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function expectRegistryError(error: unknown) {
  if (error === undefined) return;

  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).message).toMatch(/fuzz-(oci|gitea)/);
}

describe.each([0, 1])("registry client %i fuzz", (index) => {
  test("listTags throws only RegistryError", async () => {
    await fc.assert(
      fc.asyncProperty(reply, async (generated) => {
        current = generated;
        const registry = registries[index] as Registry;

        const error = await rejection(registry.listTags("acme/app"));

        expectRegistryError(error);
      }),
      RUNS,
    );
  });

  test("getDigest throws only RegistryError", async () => {
    await fc.assert(
      fc.asyncProperty(reply, async (generated) => {
        current = generated;
        const registry = registries[index] as Registry;

        const error = await rejection(registry.getDigest("acme/app", "1.0.0"));

        expectRegistryError(error);
      }),
      RUNS,
    );
  });
});

describe("hostile next links", () => {
  test("a link to another host is not followed", async () => {
    const other = await startFakeServer((_request, response) => response.writeHead(500).end());
    current = {
      status: 200,
      contentType: "application/json",
      body: encode(TAGS_JSON),
      link: `<${other.url}/v2/acme/app/tags/list?n=100>; rel="next"`,
    };
    const registry = createRegistry({
      type: "oci",
      name: "fuzz-oci",
      url: server.url,
      token: "registry-secret-token",
      username: "ci",
    });

    const error = await rejection(registry.listTags("acme/app"));
    await registry.close();
    await other.stop();

    expect(other.requests).toHaveLength(0);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as Error).message).toContain(other.url);
  });

  test("an enormous tag list is read", async () => {
    const tags = Array.from({ length: 100_000 }, (_, i) => `1.0.${i}`);
    current = {
      status: 200,
      contentType: "application/json",
      body: encode(JSON.stringify({ name: "acme/app", tags })),
      link: undefined,
    };

    const listed = await (registries[0] as Registry).listTags("acme/app");

    expect(listed).toHaveLength(100_000);
  });
});
