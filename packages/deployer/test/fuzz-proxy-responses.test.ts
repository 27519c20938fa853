import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ProxyError } from "../src/errors.js";
import {
  createProxyManagerClient,
  type DomainHost,
  type ProxyHost,
  type ProxyManagerClient,
} from "../src/proxy/client.js";

/** A fixed seed makes a failure repeatable; each run is a few requests to a local server. */
const RUNS = { seed: 20261204, numRuns: 80 };

const DOMAIN = "dev-shop.example.test";

type Route = "login" | "refresh" | "list" | "create" | "update" | "delete" | "other hosts";

/** A proxy host as Nginx Proxy Manager 2.x returns it; the fuzzer breaks copies of it. */
const HOST = {
  id: 7,
  domain_names: [DOMAIN],
  forward_scheme: "http",
  forward_host: "127.0.0.1",
  forward_port: 18080,
  enabled: 1,
  meta: {},
};

interface Reply {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, value: unknown): Reply => ({
  status,
  contentType: "application/json; charset=utf-8",
  body: JSON.stringify(value),
});

function goodReply(route: Route): Reply {
  const token = { token: "token-1", expires: new Date(Date.now() + 86_400_000).toISOString() };
  const replies: Record<Route, Reply> = {
    login: json(200, token),
    refresh: json(200, token),
    list: json(200, [HOST]),
    create: json(201, HOST),
    update: json(200, HOST),
    delete: json(200, true),
    "other hosts": json(200, []),
  };
  return replies[route];
}

/** Host fields of the wrong type, as a broken or foreign server might send them. */
const brokenHost = fc.oneof(
  fc.constantFrom(
    { ...HOST, domain_names: DOMAIN },
    { ...HOST, domain_names: [7, null] },
    { ...HOST, domain_names: null },
    { ...HOST, forward_port: "18080" },
    { ...HOST, forward_port: "eighty" },
    { ...HOST, forward_port: 70_000 },
    { ...HOST, id: "7" },
    { ...HOST, forward_scheme: "gopher" },
    { ...HOST, forward_host: 127 },
    { id: 7 },
  ),
  fc
    .dictionary(fc.constantFrom(...Object.keys(HOST)), fc.jsonValue({ maxDepth: 2 }))
    .map((changes) => ({ ...HOST, ...changes })),
);

/** Bad replies for one route: cut JSON, wrong types, HTML with 200, errors with and without a message. */
function badReply(route: Route): fc.Arbitrary<Reply> {
  const good = goodReply(route);
  const shaped =
    route === "list" || route === "other hosts"
      ? fc.array(brokenHost, { minLength: 1, maxLength: 3 })
      : route === "login" || route === "refresh"
        ? fc.constantFrom(
            { token: "token-1" },
            { token: 7, expires: "2030-01-01T00:00:00Z" },
            { token: "token-1", expires: "soon" },
            { requires_2fa: true },
          )
        : brokenHost;
  const errorBody = fc.oneof(
    fc.string({ maxLength: 200 }).map((message) => JSON.stringify({ error: { message } })),
    fc.constantFrom("", "{}", '{"error":"boom"}', '{"error":{"message":42}}'),
    fc.constant(`<html><body>${"Internal Server Error ".repeat(30)}</body></html>`),
  );
  return fc.oneof(
    fc.nat(good.body.length - 1).map((cut) => ({ ...good, body: good.body.slice(0, cut) })),
    shaped.map((value) => json(good.status, value)),
    fc.constant({ status: 200, contentType: "text/html", body: "<html>Welcome to nginx!</html>" }),
    fc.jsonValue({ maxDepth: 2 }).map((value) => json(200, value)),
    fc.record({
      status: fc.constantFrom(400, 401, 403, 404, 409, 500, 502, 503),
      contentType: fc.constantFrom("application/json", "text/html"),
      body: errorBody,
    }),
  );
}

/**
 * One generated misbehaviour: `route` returns `reply`, from the first request on or only
 * after the first good one (a 401 after a good login, a 500 during an update).
 */
interface Scenario {
  route: Route;
  reply: Reply;
  afterFirst: boolean;
}

const ROUTES: Route[] = ["login", "refresh", "list", "create", "update", "delete", "other hosts"];
const scenario: fc.Arbitrary<Scenario> = fc
  .constantFrom(...ROUTES)
  .chain((route) =>
    fc.record({ route: fc.constant(route), reply: badReply(route), afterFirst: fc.boolean() }),
  );

let current: Scenario | undefined;
const served = new Map<Route, number>();
let server: Server;
let url: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function routeOf(method: string, path: string): Route {
  if (path === "/api/tokens") return method === "POST" ? "login" : "refresh";
  if (/^\/api\/nginx\/(redirection|dead)-hosts$/.test(path)) return "other hosts";
  if (path === "/api/nginx/proxy-hosts") return method === "POST" ? "create" : "list";
  return method === "PUT" ? "update" : "delete";
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  const route = routeOf(request.method ?? "GET", request.url ?? "");
  const count = (served.get(route) ?? 0) + 1;
  served.set(route, count);
  const broken = current?.route === route && !(current.afterFirst && count === 1);
  const reply = broken && current ? current.reply : goodReply(route);
  response.writeHead(reply.status, { "content-type": reply.contentType });
  response.end(reply.body);
}

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await new Promise((resolve) => server?.close(resolve));
});

/** Creates a client per run, so each run starts with a login. */
function newClient(): ProxyManagerClient {
  return createProxyManagerClient({ url, email: "berth@example.test", password: "secret" });
}

async function outcomeOf(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: error ?? new Error("rejected with nothing") }),
  );
}

function expectReadableError(error: unknown): void {
  expect(error).toBeInstanceOf(ProxyError);
  const message = (error as ProxyError).message;
  expect(message.startsWith("Nginx Proxy Manager"), message).toBe(true);
  expect(message, message).not.toMatch(/TypeError|\[object|undefined|NaN/);
  expect(message.length, message.slice(0, 300)).toBeLessThan(800);
  expect(message, message).not.toContain("\n");
  // The message ends with what to do.
  expect(message, message).toMatch(/: (check|give|set|remove) /);
}

function expectProxyHost(host: ProxyHost): void {
  expect(Number.isInteger(host.id)).toBe(true);
  expect(Array.isArray(host.domainNames)).toBe(true);
  for (const name of host.domainNames) {
    expect(typeof name).toBe("string");
  }
  expect(["http", "https"]).toContain(host.forwardScheme);
  expect(typeof host.forwardHost).toBe("string");
  expect(Number.isInteger(host.forwardPort)).toBe(true);
  expect(host.forwardPort).toBeGreaterThan(0);
  expect(host.forwardPort).toBeLessThan(65_536);
  expect(typeof host.enabled).toBe("boolean");
}

const TARGET = { forwardScheme: "http" as const, forwardHost: "127.0.0.1", forwardPort: 18081 };

const CASES: Array<{
  name: string;
  run: (client: ProxyManagerClient) => Promise<unknown>;
  expectValue: (value: unknown) => void;
}> = [
  {
    name: "listProxyHosts",
    run: (client) => client.listProxyHosts(),
    expectValue: (value) => {
      for (const host of value as ProxyHost[]) expectProxyHost(host);
    },
  },
  {
    name: "createProxyHost",
    run: (client) => client.createProxyHost({ domainNames: [DOMAIN], ...TARGET }),
    expectValue: (value) => expectProxyHost(value as ProxyHost),
  },
  {
    // The first request logs in and lists, so "after the first" breaks the update itself.
    name: "updateProxyHost",
    run: async (client) => {
      await client.listProxyHosts();
      return client.updateProxyHost(7, TARGET);
    },
    expectValue: (value) => expectProxyHost(value as ProxyHost),
  },
  {
    name: "deleteProxyHost",
    run: (client) => client.deleteProxyHost(7),
    expectValue: (value) => expect(value).toBeUndefined(),
  },
  {
    name: "findHostByDomain",
    run: (client) => client.findHostByDomain(DOMAIN),
    expectValue: (value) => {
      const found = value as DomainHost | null;
      if (found?.kind === "proxy") expectProxyHost(found.host);
      else if (found)
        expect(found.domainNames.every((name) => typeof name === "string")).toBe(true);
    },
  },
];

describe("proxy manager client against a fuzzed server", () => {
  test.each(CASES)("$name throws only readable ProxyError", async ({ run, expectValue }) => {
    const messages = new Set<string>();

    await fc.assert(
      fc.asyncProperty(scenario, async (generated) => {
        current = generated;
        served.clear();

        const outcome = await outcomeOf(run(newClient()));

        if ("error" in outcome) {
          expectReadableError(outcome.error);
          messages.add((outcome.error as ProxyError).message.slice(0, 50));
        } else {
          expectValue(outcome.value);
        }
      }),
      RUNS,
    );

    expect(messages.size).toBeGreaterThanOrEqual(3);
    expect(unhandled).toEqual([]);
  });
});

/** Replies the fuzzer found a raw TypeError, a wrong type or an unreadable message for. */
const FOUND: Array<[string, Scenario, RegExp]> = [
  [
    "HTML page with 200",
    {
      route: "list",
      reply: { status: 200, contentType: "text/html", body: "<html>Welcome to nginx!</html>" },
      afterFirst: false,
    },
    /GET \/api\/nginx\/proxy-hosts returned an invalid response: the body is not JSON \(<html>Welcome to nginx!<\/html>\): check that the URL in settings/,
  ],
  [
    "truncated JSON",
    {
      route: "list",
      reply: { ...json(200, [HOST]), body: '[{"id":7,"domain_na' },
      afterFirst: false,
    },
    /the body is not JSON/,
  ],
  [
    "domain_names as a string",
    { route: "list", reply: json(200, [{ ...HOST, domain_names: DOMAIN }]), afterFirst: false },
    /the domain_names of host 7 are the text "dev-shop.example.test", not a list of strings/,
  ],
  [
    "token without expires",
    { route: "login", reply: json(200, { token: "token-1" }), afterFirst: false },
    /the token's expires is missing, not a date/,
  ],
  [
    "401 after a good login",
    { route: "list", reply: json(401, {}), afterFirst: true },
    /returned HTTP 401: \{\}: check the Nginx Proxy Manager email and password in settings$/,
  ],
  [
    "500 during update",
    {
      route: "update",
      reply: { status: 500, contentType: "text/html", body: "" },
      afterFirst: false,
    },
    /PUT \/api\/nginx\/proxy-hosts\/7 returned HTTP 500: no message: check Nginx Proxy Manager's log, then retry$/,
  ],
];

describe("proxy manager replies found by the fuzzer", () => {
  test.each(FOUND)("%s gives a readable ProxyError", async (_name, generated, expected) => {
    current = generated;
    served.clear();
    const client = newClient();

    const outcome = await outcomeOf(
      generated.route === "update"
        ? client.updateProxyHost(7, TARGET)
        : client.listProxyHosts().then(() => client.listProxyHosts()),
    );

    expect(outcome.error).toBeInstanceOf(ProxyError);
    expect((outcome.error as ProxyError).message).toMatch(expected);
  });

  test("forward_port as digits is read as a number", async () => {
    current = {
      route: "list",
      reply: json(200, [{ ...HOST, forward_port: "18080" }]),
      afterFirst: false,
    };

    const [host] = await newClient().listProxyHosts();

    expect(host?.forwardPort).toBe(18080);
  });
});
