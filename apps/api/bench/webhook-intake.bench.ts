/**
 * Webhook intake under load, through the real path: a real docker-registry contains one image
 * per tag, each tag in its own repository tracked by its own project and stage (semver policy,
 * auto-deploy off). Each round sends 200 concurrent HMAC-signed Gitea package deliveries for
 * 20 new tags (10 per tag, like the burst Gitea sends for one push) to a server on 127.0.0.1,
 * timing each request to its 202. After the round the stage checks the deliveries scheduled
 * (the poller's `checkStages` as the webhook trigger) are awaited and the deploy rows they
 * wrote are counted: one per tag, or the bench fails. The baseline is a bare Hono handler
 * answering 202 on the same server stack under the same load. Uses the Postgres server from
 * TEST_DATABASE_URL when set, else embedded PGlite. Writes bench/results/api-webhooks.md and
 * api-webhooks.json at the repository root.
 *
 * A project per tag, not 20 stages of one project: a push checks every stage of the project
 * that tracks the image, so with one project the first delivery alone would make all 20
 * deploys and the count would not show whether each tag's delivery reached its stage. With
 * one repository per tag, tag N's deploy exists only if tag N's delivery was checked, and
 * the stage's first check keeps it through the first-push rule (no baseline poll needed).
 */

import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import { type AddressInfo, createServer } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { createPoller } from "@berth/poller";
import {
  createProject,
  createRegistry,
  createSecrets,
  createStage,
  type DatabaseHandle,
  deploys,
  openDatabase,
  setWebhookSecretEncrypted,
} from "@berth/store";
import {
  createTestDatabase,
  pushTestImage,
  startRegistry,
  type TestRegistry,
  testServerUrl,
} from "@berth/testing";
import { serve } from "@hono/node-server";
import { and, count, eq } from "drizzle-orm";
import { Hono } from "hono";
import pino from "pino";
import { errorHandler, notFoundHandler } from "../src/http/errors.js";
import { pushHandler } from "../src/service/push.js";
import { webhookRoutes } from "../src/webhooks/routes.js";
import { hmacSha256Hex } from "../src/webhooks/signature.js";

const ROUNDS = 10;
const CONCURRENT = 200;
const TAGS = 20;
const SECRET = "bench-secret";
const OWNER = "acme";
const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

interface RunResult {
  latenciesMs: number[];
  wallMs: number;
  statuses: Map<number, number>;
  deploysPerRound: number[];
}

/** The server under test, with the steps the load generator runs around each round. */
interface Target {
  port: number;
  /** Makes the round's 20 tags exist; returns the registry host the deliveries name. */
  prepare(round: number): Promise<string>;
  /** Waits for the stage checks the round scheduled and returns the number of deploys created. */
  settle(): Promise<number>;
}

async function openBenchDatabase(): Promise<{
  handle: DatabaseHandle;
  engine: string;
  drop?: () => Promise<void>;
}> {
  const serverUrl = testServerUrl();
  if (serverUrl) {
    const database = await createTestDatabase(serverUrl);
    const handle = await openDatabase({ url: database.url });
    await handle.migrate();
    return { handle, engine: "Postgres server", drop: database.drop };
  }
  const handle = await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  return { handle, engine: "embedded PGlite" };
}

async function listen(app: Hono): Promise<{ port: number; close: () => Promise<void> }> {
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function repositoryName(round: number, index: number): string {
  return `app-r${round + 1}-t${index}`;
}

function tagName(round: number, index: number): string {
  return `1.${round + 1}.${index}`;
}

/** Returns the body of the Gitea `package` event that a manifest PUT of one tag sends. */
function giteaDelivery(registryHost: string, round: number, index: number): string {
  const name = repositoryName(round, index);
  const version = tagName(round, index);
  return JSON.stringify({
    action: "created",
    package: {
      type: "container",
      name,
      version,
      owner: { login: OWNER },
      html_url: `http://${registryHost}/${OWNER}/-/packages/container/${name}/${version}`,
    },
  });
}

function post(
  agent: http.Agent,
  port: number,
  body: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path: "/hooks/gitea",
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "x-gitea-event": "package",
          "x-gitea-delivery": randomUUID(),
          "x-gitea-signature": hmacSha256Hex(SECRET, Buffer.from(body)),
        },
      },
      (response) => {
        response.resume();
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }),
        );
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error("request timed out after 30 s")));
    request.on("error", reject);
    request.end(body);
  });
}

/** Sends one warm-up round and `ROUNDS` rounds of 200 deliveries at once, 20 new tags each. */
async function load(target: Target): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
  const result: RunResult = {
    latenciesMs: [],
    wallMs: 0,
    statuses: new Map(),
    deploysPerRound: [],
  };
  try {
    for (let round = -1; round < ROUNDS; round += 1) {
      const registryHost = await target.prepare(round);
      const bodies = Array.from({ length: CONCURRENT }, (_, index) =>
        giteaDelivery(registryHost, round, index % TAGS),
      );
      const started = performance.now();
      const answers = await Promise.all(bodies.map((body) => post(agent, target.port, body)));
      const wall = performance.now() - started;
      const created = await target.settle();
      if (round < 0) continue; // The first round warms up the JIT, the pool and the database.
      result.wallMs += wall;
      result.deploysPerRound.push(created);
      for (const answer of answers) {
        result.latenciesMs.push(answer.ms);
        result.statuses.set(answer.status, (result.statuses.get(answer.status) ?? 0) + 1);
      }
    }
  } finally {
    agent.destroy();
  }
  return result;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? 0;
}

function summarise(run: RunResult) {
  return {
    requests: run.latenciesMs.length,
    p50Ms: percentile(run.latenciesMs, 0.5),
    p99Ms: percentile(run.latenciesMs, 0.99),
    requestsPerSecond: run.latenciesMs.length / (run.wallMs / 1000),
    statuses: Object.fromEntries(run.statuses),
    deploysPerRound: run.deploysPerRound,
  };
}

type Summary = ReturnType<typeof summarise>;

/** Creates the round's 20 projects (one stage each) and pushes one image per tag. */
async function seedRound(
  handle: DatabaseHandle,
  registryId: string,
  registry: TestRegistry,
  secrets: ReturnType<typeof createSecrets>,
  round: number,
): Promise<void> {
  for (let index = 0; index < TAGS; index += 1) {
    const repository = `${OWNER}/${repositoryName(round, index)}`;
    const project = await createProject(handle.db, {
      slug: repositoryName(round, index),
      name: repositoryName(round, index),
      registryId,
      repository,
    });
    await createStage(handle.db, secrets, {
      projectId: project.id,
      name: "dev",
      policy: { kind: "semver" },
      autoDeploy: false,
    });
    await pushTestImage({ registry: registry.host, repository, tag: tagName(round, index) });
  }
}

/** Counts the deploys that webhook checks created and left pending approval (auto-deploy is off). */
async function countDeploys(handle: DatabaseHandle): Promise<number> {
  const [row] = await handle.db
    .select({ value: count() })
    .from(deploys)
    .where(and(eq(deploys.trigger, "webhook"), eq(deploys.status, "pending_approval")));
  return row?.value ?? 0;
}

async function benchBerth(handle: DatabaseHandle, registry: TestRegistry) {
  const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);
  await setWebhookSecretEncrypted(handle.db, "gitea", SECRET);
  const { id: registryId } = await createRegistry(handle.db, secrets, {
    name: "bench",
    type: "oci",
    url: registry.url,
  });
  const logger = pino({ level: "silent" });
  const poller = createPoller({
    db: handle.db,
    decryptSecret: (value) => secrets.decrypt(value),
    logger,
    busyRetrySeconds: 0.2,
  });

  const pending: Array<Promise<void>> = [];
  const app = new Hono();
  app.onError(errorHandler());
  app.notFound(notFoundHandler);
  app.route(
    "/hooks",
    webhookRoutes({
      db: handle.db,
      logger,
      decryptSecret: (ciphertext) => ciphertext,
      onPush: pushHandler(handle.db, poller),
      // Runs the check after the response as the default does, and keeps it to await.
      schedule: (task) => {
        pending.push(new Promise((resolve) => setImmediate(() => resolve(task()))));
      },
    }),
  );
  const server = await listen(app);

  let before = 0;
  try {
    return summarise(
      await load({
        port: server.port,
        async prepare(round) {
          await seedRound(handle, registryId, registry, secrets, round);
          before = await countDeploys(handle);
          return registry.host;
        },
        async settle() {
          await Promise.all(pending.splice(0));
          const created = (await countDeploys(handle)) - before;
          if (created !== TAGS) {
            throw new Error(
              `a round of ${CONCURRENT} deliveries for ${TAGS} tags created ${created} deploys, expected ${TAGS}: the webhook path lost or duplicated a push`,
            );
          }
          return created;
        },
      }),
    );
  } finally {
    await server.close();
    await poller.stop();
  }
}

async function benchBareHono() {
  const app = new Hono();
  app.post("/hooks/gitea", (c) => c.json({ status: "accepted" }, 202));
  const server = await listen(app);
  try {
    return summarise(
      await load({
        port: server.port,
        prepare: async () => "127.0.0.1:5000",
        settle: async () => 0,
      }),
    );
  } finally {
    await server.close();
  }
}

function markdown(engine: string, berth: Summary, bare: Summary): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const row = (name: string, run: Summary, what: string) =>
    `| ${name} | ${run.requests} | ${run.p50Ms.toFixed(1)} | ${run.p99Ms.toFixed(1)} | ${run.requestsPerSecond.toFixed(0)} | ${what} |`;
  return [
    "# API: webhook intake under load",
    "",
    `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}. Database: ${engine}.`,
    `Load average at the end of the run: ${os.loadavg()[0]?.toFixed(1)}; other work on the machine makes the figures vary between runs.`,
    "",
    `${ROUNDS} rounds of ${CONCURRENT} concurrent HMAC-signed Gitea package deliveries over HTTP on 127.0.0.1, ${TAGS} new tags per round (10 deliveries per tag), after one warm-up round.`,
    "Each tag is an image pushed to a real docker-registry, in its own repository tracked by a project with one stage (semver, auto-deploy off).",
    "Script: `pnpm --filter @berth/api bench` (apps/api/bench/webhook-intake.bench.ts).",
    "",
    "| run | requests | p50 ms to answer | p99 ms to answer | requests/s | what it does |",
    "|---|---|---|---|---|---|",
    row("baseline", bare, "bare Hono handler answering 202, no database"),
    row(
      "berth",
      berth,
      "signature check, parse, deduplicating insert into webhook_deliveries, 202; stage check after the answer",
    ),
    "",
    `Requests per second, Berth against the bare handler: ${(berth.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}.`,
    `Deploys created per round (must be ${TAGS}; the bench fails otherwise): ${berth.deploysPerRound.join(", ")}.`,
    `Status codes: ${JSON.stringify(berth.statuses)}.`,
    "",
    "After each round the bench awaits the stage checks the deliveries scheduled: the poller's check as the webhook trigger,",
    "which lists the repository's tags, resolves the digest from the registry and writes the candidate as a deploy row",
    "(pending approval, since auto-deploy is off). That work runs after the 202 and is not in the timings.",
    "",
  ].join("\n");
}

async function main() {
  // Fail early with a clear message when no port can be opened on loopback.
  await new Promise<void>((resolve, reject) => {
    const probe = createServer()
      .once("error", reject)
      .listen(0, "127.0.0.1", () => probe.close(() => resolve()));
  });
  const registry = await startRegistry();
  const { handle, engine, drop } = await openBenchDatabase();
  try {
    const bare = await benchBareHono();
    const berth = await benchBerth(handle, registry);
    await mkdir(RESULTS, { recursive: true });
    await writeFile(`${RESULTS}api-webhooks.md`, markdown(engine, berth, bare));
    await writeFile(
      `${RESULTS}api-webhooks.json`,
      `${JSON.stringify({ engine, bare, berth }, null, 2)}\n`,
    );
    process.stdout.write(markdown(engine, berth, bare));
  } finally {
    await handle.close();
    await drop?.();
    await registry.stop();
  }
}

await main();
