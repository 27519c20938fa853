import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type DatabaseHandle,
  getDeploy,
  insertCandidate,
  instances,
  listDeployLogs,
  projects,
  registries,
  settings,
  stages,
} from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDockerClient } from "../src/docker/client.js";
import type { DockerClient } from "../src/docker/types.js";
import { createDeployWorker } from "../src/worker.js";

/** A fixed seed makes a failure repeatable; each run is one whole deploy. */
const RUNS = { seed: 20261204, numRuns: 15 };

const DIGEST = `sha256:${"c".repeat(64)}`;
const CONTAINER_ID = "4f1c2d3e";

/** The engine calls a deploy makes before its health gate, which the fuzzer breaks one at a time. */
const BREAKABLE = ["pull", "inspect image", "create", "start", "inspect container"] as const;
type Route = (typeof BREAKABLE)[number] | "inspect by name" | "remove" | "network" | "other";

interface Reply {
  status: number;
  body: string;
  /** Bytes sent before the server destroys the socket, or `undefined` to send all. */
  cutAt?: number | undefined;
}

/** What a healthy engine returns for each call, following the Engine API reference. */
const GOOD: Record<Route, Reply> = {
  pull: {
    status: 200,
    body: `{"status":"Pulling from acme/shop"}\n{"status":"Digest: ${DIGEST}"}\n`,
  },
  "inspect image": {
    status: 200,
    body: JSON.stringify({ Id: "sha256:1234", RepoDigests: [], Config: { ExposedPorts: {} } }),
  },
  "inspect by name": { status: 404, body: '{"message":"No such container"}' },
  create: { status: 201, body: JSON.stringify({ Id: CONTAINER_ID, Warnings: [] }) },
  start: { status: 204, body: "" },
  "inspect container": {
    status: 200,
    body: JSON.stringify({
      Id: CONTAINER_ID,
      Name: "/shop-dev",
      State: { Status: "running", Running: true, ExitCode: 0 },
      NetworkSettings: { Ports: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "32768" }] } },
    }),
  },
  remove: { status: 204, body: "" },
  network: { status: 200, body: '{"Name":"berth","Id":"9a8b"}' },
  other: { status: 404, body: '{"message":"page not found"}' },
};

function routeOf(method: string, url: string): Route {
  if (method === "POST" && url.includes("/images/create")) return "pull";
  if (method === "GET" && /\/images\/.+\/json/.test(url)) return "inspect image";
  if (method === "GET" && /\/containers\/shop-[^/]+\/json/.test(url)) return "inspect by name";
  if (method === "POST" && url.includes("/containers/create")) return "create";
  if (method === "POST" && /\/containers\/[^/]+\/start/.test(url)) return "start";
  if (method === "GET" && /\/containers\/[^/]+\/json/.test(url)) return "inspect container";
  if (method === "DELETE" && url.includes("/containers/")) return "remove";
  if (url.includes("/networks")) return "network";
  return "other";
}

/** Bad replies: engine errors with and without a message, HTML pages, cut and broken bodies. */
function badReply(route: Route): fc.Arbitrary<Reply> {
  const errorStatus = fc.constantFrom<number>(400, 401, 409, 418, 500, 503);
  const errorText = fc.oneof(
    fc.string({ maxLength: 200 }).map((message) => JSON.stringify({ message })),
    fc.constantFrom("", "{}", "<html><body>Bad gateway</body></html>", '{"message":7}'),
  );
  const good = GOOD[route];
  const options: Array<fc.Arbitrary<Reply>> = [
    fc.record({ status: errorStatus, body: errorText }),
    fc.nat(Math.max(good.body.length - 1, 0)).map((cutAt) => ({ ...good, cutAt })),
  ];
  if (route === "pull") {
    options.push(
      fc
        .constantFrom(
          '{"status":"Pulling"}\n{"errorDetail":{"message":"manifest unknown"}}\n',
          '{"status":"Pulling"}\n{"stat',
        )
        .map((body) => ({ status: 200, body })),
    );
  }
  if (route === "create" || route === "inspect container" || route === "inspect image") {
    options.push(
      fc
        .constantFrom("null", "[]", '{"Id":7}', "<html></html>", '{"Id":"x","State":"up"}')
        .map((body) => ({ status: 200, body })),
    );
  }
  return fc.oneof(...options);
}

let broken: { route: Route; reply: Reply } | undefined;
let server: Server;
let folder: string;
let docker: DockerClient;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  const url = request.url ?? "";
  if (url === "/_ping") {
    response.writeHead(200, { "Api-Version": "1.44" }).end("OK");
    return;
  }
  const route = routeOf(request.method ?? "GET", url);
  const reply = broken?.route === route ? broken.reply : GOOD[route];
  const body = Buffer.from(reply.body);
  response.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": body.length,
  });
  if (reply.cutAt === undefined) {
    response.end(body);
    return;
  }
  response.write(body.subarray(0, reply.cutAt));
  setImmediate(() => response.socket?.destroy());
}

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  folder = await mkdtemp(path.join(tmpdir(), "berth-fuzz-deploy-"));
  const socketPath = path.join(folder, "engine.sock");
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  docker = await createDockerClient({ host: `unix://${socketPath}`, requestTimeoutMs: 200 });
});

afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

/** Inserts a registry, a project, the settings row and an auto-deploy stage, and returns the stage id. */
async function seedStage(handle: DatabaseHandle): Promise<string> {
  const [registry] = await handle.db
    .insert(registries)
    .values({ name: "local", type: "oci", url: "https://registry.example.test" })
    .returning();
  const [project] = await handle.db
    .insert(projects)
    .values({ slug: "shop", name: "Shop", registryId: registry!.id, repository: "acme/shop" })
    .returning();
  await handle.db.insert(settings).values({ id: 1, baseDomain: "example.test" });
  const [stage] = await handle.db
    .insert(stages)
    .values({
      projectId: project!.id,
      name: "dev",
      policy: { kind: "newest" },
      containerPort: 8080,
      restartPolicy: "no",
      autoDeploy: true,
    })
    .returning();
  return stage!.id;
}

describe.each(testEngines())("deploy against a fuzzed engine on $engine", ({ engine }) => {
  let handle: DatabaseHandle;
  let stageId: string;

  beforeAll(async () => {
    handle = await openTestDatabase(engine);
    stageId = await seedStage(handle);
  });

  afterAll(async () => {
    await handle?.close();
  });

  test("broken engine call fails the deploy", async () => {
    const worker = createDeployWorker({
      db: handle.db,
      docker,
      logger: pino({ level: "silent" }),
      decryptSecret: (value) => value,
      stabilityMs: 100,
      stopTimeoutSeconds: 1,
      pollIntervalMs: 50,
    });
    const failedSteps = new Set<string>();
    let run = 0;

    const scenario = fc
      .constantFrom(...BREAKABLE)
      .chain((route) => badReply(route).map((reply) => ({ route, reply })));
    await fc.assert(
      fc.asyncProperty(scenario, async (generated) => {
        broken = generated;
        run += 1;
        const id = await insertCandidate(handle.db, {
          stageId,
          tag: `1.0.${run}`,
          digest: DIGEST,
          trigger: "webhook",
          autoDeploy: true,
        });

        const statuses = await worker.runUntilIdle();

        const deploy = await getDeploy(handle.db, id!);
        const where = `${generated.route} ${JSON.stringify(generated.reply).slice(0, 200)}`;
        expect(statuses, where).toHaveLength(1);
        expect(["failed", "rolled_back"], where).toContain(deploy.status);
        expect(deploy.finishedAt, where).not.toBeNull();
        expect(deploy.error, where).toMatch(/^docker [a-z ]+ failed: .+: (check|remove) /);
        expect(deploy.error, where).not.toMatch(/TypeError|\[object|undefined/);
        failedSteps.add(deploy.step ?? "none");

        const log = await listDeployLogs(handle.db, id!);
        const errorLine = log.find((line) => line.level === "error");
        expect(errorLine?.message, where).toBe(deploy.error);
        expect(errorLine?.step, where).toBe(deploy.step);

        const left = await handle.db.select().from(instances).where(eq(instances.deployId, id!));
        for (const instance of left) {
          expect(instance.status, where).toBe("removed");
        }
      }),
      RUNS,
    );

    expect([...failedSteps].sort()).toEqual(["create", "pull", "start"]);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
