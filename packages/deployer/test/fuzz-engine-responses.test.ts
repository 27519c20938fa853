import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Json, jsonPaths, mutateJson } from "@berth/testing";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createDockerClient } from "../src/docker/client.js";
import type {
  ContainerSpec,
  ContainerState,
  DockerClient,
  ImageInfo,
} from "../src/docker/types.js";
import { DockerError } from "../src/errors.js";

/** A fixed seed makes a failure repeatable; each run is one to a few requests on a local socket. */
const RUNS = { seed: 20261204, numRuns: 50 };

/** Short, so that a response cut mid-body fails fast instead of waiting the default minute. */
const REQUEST_TIMEOUT_MS = 150;

const DIGEST = `sha256:${"b".repeat(64)}`;

/** Valid engine bodies, taken from the Engine API reference; the fuzzer breaks them. */
const TEMPLATES = {
  containerInspect: {
    Id: "4f1c2d3e",
    Name: "/shop-dev-1.0-4f1c",
    RestartCount: 0,
    State: {
      Status: "running",
      Running: true,
      ExitCode: 0,
      Health: { Status: "healthy", FailingStreak: 0, Log: [{ Output: "ok\n" }] },
    },
    Config: { Labels: { "berth.project": "shop" } },
    NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "32768" }] } },
  },
  imageInspect: {
    Id: "sha256:1234",
    RepoDigests: [`registry.example.test/acme/shop@${DIGEST}`],
    Config: {
      ExposedPorts: { "8080/tcp": {} },
      Labels: { version: "1.0" },
      Healthcheck: { Test: ["CMD", "true"], Interval: 1e9, Timeout: 1e9, Retries: 3 },
    },
  },
  containerCreate: { Id: "4f1c2d3e", Warnings: [] },
  containerList: [{ Id: "4f1c2d3e", Names: ["/shop-dev"], Labels: {}, State: "running" }],
  networkInspect: { Name: "berth", Id: "9a8b" },
  engineError: { message: "No such container: 4f1c2d3e" },
} as const;

const encode = (text: string) => new TextEncoder().encode(text);

/** Values of the wrong type, or of the right type with hostile content. */
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, "", "32768", "-1", "NaN", -1, 1e308, [], {}, true),
);

/** Bodies around one template: broken copies, cut text, other JSON, bytes, HTML, huge. */
function bodyAround(template: Json): fc.Arbitrary<Uint8Array> {
  const text = JSON.stringify(template);
  const templatePaths = jsonPaths(template);
  const broken = fc
    .array(fc.tuple(fc.nat(templatePaths.length - 1), fc.option(wrongValue)), {
      minLength: 1,
      maxLength: 3,
    })
    .map((edits) =>
      edits.reduce<Json>(
        (body, [index, value]) =>
          mutateJson(body, templatePaths[index] ?? [], (value ?? undefined) as Json | undefined),
        template,
      ),
    )
    .map((body) => encode(JSON.stringify(body)));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(encode(text)) },
    { weight: 6, arbitrary: broken },
    { weight: 2, arbitrary: fc.nat(text.length).map((cut) => encode(text.slice(0, cut))) },
    {
      weight: 1,
      arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => encode(JSON.stringify(v) ?? "")),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constant(encode("<html><body>502 Bad Gateway</body></html>")) },
    { weight: 1, arbitrary: fc.constantFrom(encode(""), encode("null"), encode("0")) },
    { weight: 1, arbitrary: fc.constant(hugeBody(template)) },
  );
}

/** About 2 MB: the template with a long name and a long extra field. */
function hugeBody(template: Json): Uint8Array {
  const long = "x".repeat(1024 * 1024);
  if (Array.isArray(template)) return encode(JSON.stringify([...template, long, long]));
  if (template === null || typeof template !== "object") return encode(JSON.stringify(long));
  return encode(JSON.stringify({ ...template, Name: long, Padding: long }));
}

/** Engine error bodies: with a message, without one, with a message of the wrong type. */
const errorBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ maxLength: 300 }).map((message) => encode(JSON.stringify({ message }))),
  bodyAround(TEMPLATES.engineError as Json),
  fc.constantFrom(encode("{}"), encode('{"message":{"nested":true}}'), encode("")),
);

const PULL_LINES = [
  '{"status":"Pulling from acme/shop","id":"1.0"}',
  '{"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"a1b2"}',
  `{"status":"Digest: ${DIGEST}"}`,
  '{"status":"Status: Downloaded newer image for registry.example.test/acme/shop:1.0"}',
  '{"errorDetail":{"message":"toomanyrequests: slow down"},"error":"toomanyrequests: slow down"}',
  '{"error":"manifest unknown"}',
  '{"errorDetail":{"message":42}}',
  '{"status":',
  "not json at all",
  "[1,2,3]",
  "null",
  '"a string"',
  "",
];

/** A progress stream of `POST /images/create`: known lines, truncated lines, random text. */
const pullStream: fc.Arbitrary<Uint8Array> = fc
  .array(fc.oneof(fc.constantFrom(...PULL_LINES), fc.string({ maxLength: 80 })), {
    maxLength: 12,
  })
  .map((lines) => encode(lines.join("\n")));

/** One generated engine response: every non-ping path of the server returns it. */
interface Reply {
  status: number;
  contentType: string | undefined;
  body: Uint8Array;
  /** Bytes sent before the server destroys the socket, or `undefined` to send all. */
  cutAt: number | undefined;
}

function replyAround(success: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Reply> {
  return fc
    .record({
      status: fc.constantFrom(200, 200, 200, 201, 204, 304, 400, 401, 404, 409, 418, 500, 503),
      contentType: fc.constantFrom("application/json", "text/html", "text/plain", undefined),
      successBody: success,
      errorBody,
      cut: fc.oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
      ),
    })
    .map(({ status, contentType, successBody, errorBody: failureBody, cut }) => {
      const body = status < 300 ? successBody : failureBody;
      return {
        status,
        contentType,
        body,
        cutAt: cut === undefined ? undefined : Math.floor(cut * body.length),
      };
    });
}

let current: Reply | undefined;
let server: Server;
let folder: string;
let docker: DockerClient;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

async function send(response: ServerResponse, reply: Reply): Promise<void> {
  const headers: Record<string, string | number> = { "content-length": reply.body.length };
  if (reply.contentType) headers["content-type"] = reply.contentType;
  response.writeHead(reply.status, headers);
  if (reply.cutAt === undefined) {
    // Two writes, so the client also sees a body split at an arbitrary point.
    const middle = Math.floor(reply.body.length / 2);
    response.write(reply.body.subarray(0, middle));
    await new Promise((resolve) => setImmediate(resolve));
    response.end(reply.body.subarray(middle));
    return;
  }
  response.write(reply.body.subarray(0, reply.cutAt));
  await new Promise((resolve) => setImmediate(resolve));
  response.socket?.destroy();
}

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  if (request.url === "/_ping" && current === undefined) {
    response.writeHead(200, { "Api-Version": "1.44", "Content-Type": "text/plain" }).end("OK");
    return;
  }
  if (request.url?.endsWith("/version")) {
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ Version: "27.0.0", ApiVersion: "1.44" }));
    return;
  }
  void send(
    response,
    current ?? { status: 500, contentType: undefined, body: encode(""), cutAt: undefined },
  );
}

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  folder = await mkdtemp(path.join(tmpdir(), "berth-fuzz-engine-"));
  const socketPath = path.join(folder, "engine.sock");
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  docker = await createDockerClient({
    host: `unix://${socketPath}`,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
});

afterEach(() => {
  current = undefined;
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

/** Awaits `promise` and returns its value or what it rejected with. */
async function outcomeOf(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: error ?? new Error("rejected with nothing") }),
  );
}

/** The error must be a `DockerError` for one of `operations`, readable, and fit a log line. */
function expectReadableError(error: unknown, operations: string[]): void {
  expect(error).toBeInstanceOf(DockerError);
  const { message, operation } = error as DockerError;
  expect(operations).toContain(operation);
  expect(message.startsWith(`docker ${operation} failed: `), message).toBe(true);
  expect(message, message).not.toMatch(/TypeError|\[object|undefined|NaN/);
  expect(message.length, message.slice(0, 300)).toBeLessThan(1200);
  // The message ends with what to do.
  expect(message, message).toMatch(/: (check|remove) [^:]*/);
}

const isRecordOfStrings = (value: unknown) =>
  typeof value === "object" &&
  value !== null &&
  Object.values(value).every((entry) => typeof entry === "string");

function expectContainerState(state: ContainerState | null): void {
  if (state === null) return;
  expect(typeof state.id).toBe("string");
  expect(state.id).not.toBe("");
  expect(typeof state.name).toBe("string");
  expect(typeof state.status).toBe("string");
  expect(typeof state.running).toBe("boolean");
  expect(Number.isFinite(state.exitCode)).toBe(true);
  expect(Number.isFinite(state.restartCount)).toBe(true);
  expect(isRecordOfStrings(state.labels)).toBe(true);
  for (const binding of Object.values(state.ports)) {
    if (binding === undefined) continue;
    expect(typeof binding.hostIp).toBe("string");
    expect(Number.isInteger(binding.hostPort)).toBe(true);
  }
  if (state.health !== null) {
    expect(["starting", "healthy", "unhealthy"]).toContain(state.health.status);
    expect(Number.isFinite(state.health.failingStreak)).toBe(true);
    expect(["string", "undefined"]).toContain(typeof state.health.lastOutput);
  }
}

function expectImageInfo(image: ImageInfo | null): void {
  if (image === null) return;
  expect(typeof image.id).toBe("string");
  expect(image.repoDigests.every((entry) => typeof entry === "string")).toBe(true);
  expect(image.exposedPorts.every((entry) => /^\d+\/(tcp|udp|sctp)$/.test(entry))).toBe(true);
  expect(isRecordOfStrings(image.labels)).toBe(true);
  if (image.healthcheck !== null) {
    expect(image.healthcheck.test.every((entry) => typeof entry === "string")).toBe(true);
    for (const value of [
      image.healthcheck.intervalMs,
      image.healthcheck.timeoutMs,
      image.healthcheck.startPeriodMs,
      image.healthcheck.retries,
    ]) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
  }
}

const TEMPLATE_SPEC: ContainerSpec = {
  name: "shop-dev-1.0-4f1c",
  image: `registry.example.test/acme/shop@${DIGEST}`,
  env: [],
  labels: {},
  binds: [],
  restartPolicy: "no",
  containerPort: 8080,
  publishOn: "127.0.0.1",
};

interface Case {
  operation: string;
  success: fc.Arbitrary<Uint8Array>;
  run: (client: DockerClient) => Promise<unknown>;
  expectValue: (value: unknown) => void;
}

const nothing = (value: unknown) => expect(value).toBeUndefined();

const CASES: Case[] = [
  {
    operation: "ping",
    success: fc.constantFrom(encode("OK"), encode(""), encode("<html></html>")),
    run: (client) => client.ping(),
    expectValue: nothing,
  },
  {
    // Without a "Digest:" line the client reads the digest from the pulled image.
    operation: "pull|inspect image",
    success: pullStream,
    run: (client) => client.pull("registry.example.test/acme/shop", "1.0"),
    expectValue: (value) => {
      const { digest } = value as { digest: unknown };
      if (digest !== undefined) expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    },
  },
  {
    operation: "inspect image",
    success: bodyAround(TEMPLATES.imageInspect as unknown as Json),
    run: (client) => client.inspectImage(`registry.example.test/acme/shop@${DIGEST}`),
    expectValue: (value) => expectImageInfo(value as ImageInfo | null),
  },
  {
    operation: "create",
    success: bodyAround(TEMPLATES.containerCreate as unknown as Json),
    run: (client) => client.createContainer(TEMPLATE_SPEC),
    expectValue: (value) => {
      expect(typeof value).toBe("string");
      expect(value).not.toBe("");
    },
  },
  {
    operation: "inspect container",
    success: bodyAround(TEMPLATES.containerInspect as unknown as Json),
    run: (client) => client.inspectContainer("4f1c2d3e"),
    expectValue: (value) => expectContainerState(value as ContainerState | null),
  },
  {
    operation: "start",
    success: fc.constantFrom(encode(""), encode("{}"), encode("<html></html>")),
    run: (client) => client.startContainer("4f1c2d3e"),
    expectValue: nothing,
  },
  {
    operation: "stop",
    success: fc.constantFrom(encode(""), encode("{}")),
    run: (client) => client.stopContainer("4f1c2d3e", 1),
    expectValue: nothing,
  },
  {
    operation: "remove",
    success: fc.constantFrom(encode(""), encode("{}")),
    run: (client) => client.removeContainer("4f1c2d3e"),
    expectValue: nothing,
  },
  {
    operation: "rename",
    success: fc.constant(encode("")),
    run: (client) => client.renameContainer("4f1c2d3e", "shop-dev-old"),
    expectValue: nothing,
  },
  {
    operation: "list containers",
    success: bodyAround(TEMPLATES.containerList as unknown as Json),
    run: (client) => client.listContainers({ "berth.project": "shop" }),
    expectValue: (value) => {
      expect(Array.isArray(value)).toBe(true);
      for (const row of value as Array<Record<string, unknown>>) {
        expect(typeof row.id).toBe("string");
        expect(typeof row.name).toBe("string");
        expect(typeof row.state).toBe("string");
        expect(isRecordOfStrings(row.labels)).toBe(true);
      }
    },
  },
  {
    operation: "inspect network|create network",
    success: bodyAround(TEMPLATES.networkInspect as unknown as Json),
    run: (client) => client.ensureNetwork("berth"),
    expectValue: nothing,
  },
  {
    operation: "connect network",
    success: fc.constant(encode("")),
    run: (client) => client.connectNetwork("berth", "4f1c2d3e", ["shop"]),
    expectValue: nothing,
  },
  {
    operation: "inspect container|wait for removal",
    success: bodyAround(TEMPLATES.containerInspect as unknown as Json),
    run: (client) => client.waitForRemoval("4f1c2d3e", 150),
    expectValue: nothing,
  },
];

describe("docker client against a fuzzed engine", () => {
  test.each(CASES)("$operation throws only readable DockerError", async (fuzzCase) => {
    const errors = new Set<string>();

    await fc.assert(
      fc.asyncProperty(replyAround(fuzzCase.success), async (reply) => {
        current = reply;

        const outcome = await outcomeOf(fuzzCase.run(docker));

        if ("error" in outcome) {
          expectReadableError(outcome.error, fuzzCase.operation.split("|"));
          errors.add((outcome.error as DockerError).message.slice(0, 60));
        } else {
          fuzzCase.expectValue(outcome.value);
        }
      }),
      RUNS,
    );

    // The generators reach both outcomes: at least two different failures were seen.
    expect(errors.size).toBeGreaterThanOrEqual(2);
    expect(unhandled).toEqual([]);
  });
});

/** Replies the fuzzer found a raw TypeError, a hang or an unreadable message for. */
const FOUND: Array<[string, Reply, (client: DockerClient) => Promise<unknown>, RegExp]> = [
  [
    "inspect cut mid-body",
    { status: 200, contentType: "application/json", body: encode('{"Id":"4f1c"}'), cutAt: 5 },
    (client) => client.inspectContainer("4f1c"),
    /timed out after \d+ ms without a complete response/,
  ],
  [
    "inspect body null",
    { status: 200, contentType: "application/json", body: encode("null"), cutAt: undefined },
    (client) => client.inspectContainer("4f1c"),
    /the container inspect is text that is not JSON, not a JSON object/,
  ],
  [
    "inspect without State",
    {
      status: 200,
      contentType: "application/json",
      body: encode('{"Id":"4f1c"}'),
      cutAt: undefined,
    },
    (client) => client.inspectContainer("4f1c"),
    /the State is missing, not a JSON object/,
  ],
  [
    "create without Id",
    { status: 201, contentType: "text/html", body: encode("<html></html>"), cutAt: undefined },
    (client) => client.createContainer(TEMPLATE_SPEC),
    /the field Id is missing, not a string/,
  ],
  [
    "list of non-objects",
    { status: 200, contentType: "application/json", body: encode("[false]"), cutAt: undefined },
    (client) => client.listContainers({}),
    /container list entry 0 is a boolean/,
  ],
  [
    "500 with an HTML page",
    {
      status: 500,
      contentType: "text/html",
      body: encode(`<html><body>${"Bad gateway ".repeat(1000)}</body></html>`),
      cutAt: undefined,
    },
    (client) => client.startContainer("4f1c"),
    /returned HTTP 500: <html><body>Bad gateway .*…: check the engine's log/,
  ],
  [
    "409 without a message",
    { status: 409, contentType: "application/json", body: encode("{}"), cutAt: undefined },
    (client) => client.renameContainer("4f1c", "shop-old"),
    /returned HTTP 409 without a message: remove the conflicting container/,
  ],
  [
    "pull stream cut mid-line",
    {
      status: 200,
      contentType: "application/json",
      body: encode(`${PULL_LINES[0]}\n${PULL_LINES[1]}`),
      cutAt: 60,
    },
    (client) => client.pull("registry.example.test/acme/shop", "1.0"),
    /the progress stream broke off|unreadable line in the pull stream/,
  ],
];

describe("engine replies found by the fuzzer", () => {
  test.each(FOUND)("%s gives a readable DockerError", async (_name, reply, run, expected) => {
    current = reply;

    const outcome = await outcomeOf(run(docker));

    expect(outcome.error).toBeInstanceOf(DockerError);
    expect((outcome.error as DockerError).message).toMatch(expected);
    expect(unhandled).toEqual([]);
  });
});

describe("engine replies for a missing container", () => {
  test.each([
    [404, "No such container: 4f1c"],
    [500, "container 4f1c does not exist in database: no such container"],
  ])("HTTP %i %s reads as missing", async (status, message) => {
    current = {
      status,
      contentType: "application/json",
      body: encode(JSON.stringify({ cause: "no such container", message, response: status })),
      cutAt: undefined,
    };

    expect(await docker.inspectContainer("4f1c")).toBeNull();
    await expect(docker.removeContainer("4f1c")).resolves.toBeUndefined();
  });

  test("HTTP 500 of another kind is an error", async () => {
    current = {
      status: 500,
      contentType: "application/json",
      body: encode('{"message":"database is locked"}'),
      cutAt: undefined,
    };

    await expect(docker.inspectContainer("4f1c")).rejects.toThrow(
      /the engine returned HTTP 500: database is locked: check the engine's log/,
    );
  });
});
