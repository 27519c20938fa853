/**
 * Webhook intake under load: rounds of 200 concurrent generic-webhook deliveries for 20 tags
 * (10 deliveries per tag) against a real HTTP server on 127.0.0.1, measuring each request's
 * time to its 202 and counting the stage checks started (one per tag is correct). The
 * baseline is a bare Hono handler answering 202 on the same server stack under the same load.
 * Uses the Postgres server from TEST_DATABASE_URL when set, else embedded PGlite. Writes
 * bench/results/api-webhooks.md and api-webhooks.json at the repository root.
 */

import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import { type AddressInfo, createServer } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { type DatabaseHandle, openDatabase, setWebhookSecretEncrypted } from "@berth/store";
import { createTestDatabase, testServerUrl } from "@berth/testing";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { errorHandler, notFoundHandler } from "../src/http/errors.js";
import { webhookRoutes } from "../src/webhooks/routes.js";

const ROUNDS = 10;
const CONCURRENT = 200;
const TAGS = 20;
const SECRET = "bench-secret";
const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

interface RunResult {
  latenciesMs: number[];
  wallMs: number;
  statuses: Map<number, number>;
  checksPerRound: number[];
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

function post(
  agent: http.Agent,
  port: number,
  path: string,
  body: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: "127.0.0.1",
        port,
        path,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
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

/** Sends `ROUNDS` rounds of 200 deliveries at once; each round uses 20 new tags. */
async function load(
  port: number,
  label: string,
  settle: () => Promise<number>,
): Promise<RunResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENT });
  const result: RunResult = { latenciesMs: [], wallMs: 0, statuses: new Map(), checksPerRound: [] };
  try {
    for (let round = -1; round < ROUNDS; round += 1) {
      const bodies = Array.from({ length: CONCURRENT }, (_, index) =>
        JSON.stringify({
          image: `registry.example.test/acme/app:${label}-${round}-${index % TAGS}`,
        }),
      );
      const started = performance.now();
      const answers = await Promise.all(
        bodies.map((body) => post(agent, port, `/hooks/generic/${SECRET}`, body)),
      );
      const wall = performance.now() - started;
      const checks = await settle();
      if (round < 0) continue; // The first round warms up the JIT, the pool and the database.
      result.wallMs += wall;
      result.checksPerRound.push(checks);
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
    checksPerRound: run.checksPerRound,
  };
}

async function benchBerth(handle: DatabaseHandle) {
  await setWebhookSecretEncrypted(handle.db, "generic", SECRET);
  const pending: Array<Promise<void>> = [];
  let checks = 0;
  const app = new Hono();
  app.onError(errorHandler());
  app.notFound(notFoundHandler);
  app.route(
    "/hooks",
    webhookRoutes({
      db: handle.db,
      decryptSecret: (ciphertext) => ciphertext,
      // Stands in for the poller's stage check, which this benchmark does not measure.
      onPush: async () => {
        checks += 1;
        return { matchedStages: 1 };
      },
      schedule: (task) => {
        pending.push(new Promise((resolve) => setImmediate(() => resolve(task()))));
      },
    }),
  );
  const server = await listen(app);
  try {
    return summarise(
      await load(server.port, "berth", async () => {
        await Promise.all(pending.splice(0));
        const counted = checks;
        checks = 0;
        return counted;
      }),
    );
  } finally {
    await server.close();
  }
}

async function benchBareHono() {
  const app = new Hono();
  app.post("/hooks/generic/:secret", (c) => c.json({ status: "accepted" }, 202));
  const server = await listen(app);
  try {
    return summarise(await load(server.port, "bare", async () => 0));
  } finally {
    await server.close();
  }
}

function markdown(
  engine: string,
  berth: ReturnType<typeof summarise>,
  bare: ReturnType<typeof summarise>,
): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const row = (name: string, run: ReturnType<typeof summarise>, what: string) =>
    `| ${name} | ${run.requests} | ${run.p50Ms.toFixed(1)} | ${run.p99Ms.toFixed(1)} | ${run.requestsPerSecond.toFixed(0)} | ${what} |`;
  return [
    "# API: webhook intake under load",
    "",
    `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}. Database: ${engine}.`,
    `Load average at the end of the run: ${os.loadavg()[0]?.toFixed(1)}; other work on the machine makes the figures vary between runs.`,
    "",
    `${ROUNDS} rounds of ${CONCURRENT} concurrent deliveries to the generic webhook over HTTP on 127.0.0.1, ${TAGS} tags per round (10 deliveries per tag), after one warm-up round.`,
    "Script: `pnpm --filter @berth/api bench` (apps/api/bench/webhook-intake.bench.ts).",
    "",
    "| run | requests | p50 ms to answer | p99 ms to answer | requests/s | what it does |",
    "|---|---|---|---|---|---|",
    row("baseline", bare, "bare Hono handler answering 202, no database"),
    row("berth", berth, "secret check, parse, deduplicating insert into webhook_deliveries, 202"),
    "",
    `Requests per second, Berth against the bare handler: ${(berth.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}.`,
    `Stage checks started per round (must be ${TAGS}): ${berth.checksPerRound.join(", ")}.`,
    `Status codes: ${JSON.stringify(berth.statuses)}.`,
    "",
    "The stage check itself (registry digest lookup, candidate insert) runs after the answer and is not timed here;",
    "it counts as one per tag, which is where the deploy count comes from once the poller's check is wired in.",
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
  const { handle, engine, drop } = await openBenchDatabase();
  try {
    const bare = await benchBareHono();
    const berth = await benchBerth(handle);
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
  }
}

await main();
