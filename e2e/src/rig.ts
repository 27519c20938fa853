/**
 * The local parts of the whole flow, each real and on 127.0.0.1: a fresh Postgres database,
 * Debian's docker-registry, podman's Docker-compatible service, the Nginx Proxy Manager
 * stand-in, and `berth serve` as a child process configured through its environment.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createTestDatabase,
  type NpmStandIn,
  startNpmStandIn,
  startPodman,
  startRegistry,
  type TestDatabase,
  type TestPodman,
  type TestRegistry,
  testServerUrl,
} from "@berth/testing";
import { type BerthProcess, startBerth } from "./berth-process.js";

/** The Postgres server the flow runs on when neither TEST_DATABASE_URL nor DATABASE_URL is set. */
export const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export const ADMIN_USER = "admin";

/** Seconds between poll cycles. Schedules start at start-up, so this comes from the seed file. */
export const POLL_INTERVAL_SECONDS = 10;

/** Seconds without a heartbeat after which Berth fails a running deploy as interrupted. */
export const STALE_AFTER_SECONDS = 6;

/**
 * The seed file Berth imports at its first start. It sets only the poll schedule, because the
 * poller plans its first cycle before any API request could change it. Everything else is
 * configured through the API.
 */
function seed(pollIntervalSeconds: number): string {
  return `settings:\n  poll_interval_seconds: ${pollIntervalSeconds}\n  poll_jitter_seconds: 0\n`;
}

export interface FlowRig {
  registry: TestRegistry;
  podman: TestPodman;
  npm: NpmStandIn;
  /** The Postgres database, or undefined when Berth runs on its embedded one. */
  database: TestDatabase | undefined;
  adminPassword: string;
  berth: BerthProcess;
  /** Everything every Berth process of this rig wrote, restarts included. */
  output(): string;
  /** Stops Berth (SIGTERM) and starts it again with the same configuration. */
  restartBerth(signal?: NodeJS.Signals): Promise<BerthProcess>;
  /**
   * Starts one more `berth serve` on the same Postgres database, with its own port and data
   * folder, as a second replica runs. `stop()` stops it too. Rejects on the embedded database,
   * because each process would open a database of its own.
   */
  startReplica(): Promise<BerthProcess>;
  stop(): Promise<void>;
}

export interface FlowRigOptions {
  /** The dashboard Berth serves; unset serves apps/web's build if it exists. */
  webDir?: string;
  /** Fixed Berth port; default a free one. */
  port?: number;
  adminPassword?: string;
  /** Runs Berth on its embedded database in a temporary data folder instead of Postgres. */
  embedded?: boolean;
  /** Seconds between poll cycles. Default `POLL_INTERVAL_SECONDS`. */
  pollIntervalSeconds?: number;
  /** Postgres server to create the test database on; default TEST_DATABASE_URL or 5432. */
  postgresUrl?: string;
  /** More registries (`host:port`) podman pulls from over plain HTTP, e.g. a fault forwarder. */
  insecureRegistries?: readonly string[];
  /** More environment for `berth serve`, e.g. `BERTH_REGISTRY_TIMEOUT_SECONDS`. */
  berthEnv?: Record<string, string>;
}

/** Starts every part; a part that fails to start stops the ones already running. */
export async function startFlowRig(options: FlowRigOptions = {}): Promise<FlowRig> {
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const registry = await startRegistry();
    stops.push(registry.stop);
    const podman = await startPodman({
      insecureRegistries: [registry.host, ...(options.insecureRegistries ?? [])],
    });
    stops.push(podman.stop);
    const npm = await startNpmStandIn();
    stops.push(npm.stop);
    const database = options.embedded
      ? undefined
      : await createTestDatabase(options.postgresUrl ?? testServerUrl() ?? DEFAULT_POSTGRES_URL);
    if (database) stops.push(database.drop);
    const workDir = await mkdtemp(path.join(tmpdir(), "berth-e2e-"));
    stops.push(() => rm(workDir, { recursive: true, force: true }));

    const seedFile = path.join(workDir, "seed.yaml");
    await writeFile(seedFile, seed(options.pollIntervalSeconds ?? POLL_INTERVAL_SECONDS));
    const adminPassword = options.adminPassword ?? randomBytes(12).toString("hex");
    const port = options.port ?? (await freePort());
    const env: Record<string, string> = {
      ...(database
        ? { DATABASE_URL: database.url, BERTH_SECRET_KEY: randomBytes(32).toString("base64") }
        : {}),
      BERTH_ADMIN_PASSWORD: adminPassword,
      BERTH_DOCKER_HOST: podman.dockerHost,
      BERTH_DATA_DIR: path.join(workDir, "data"),
      BERTH_SHUTDOWN_TIMEOUT_SECONDS: "20",
      // Short, so a deploy whose process was killed is failed within seconds, not a minute.
      BERTH_DEPLOY_STALE_AFTER_SECONDS: String(STALE_AFTER_SECONDS),
      BERTH_SEED_FILE: seedFile,
      ...(options.webDir ? { BERTH_WEB_DIR: options.webDir } : {}),
      ...options.berthEnv,
    };
    let earlier = "";
    let berth = await startBerth({ port, env, cwd: workDir });
    stops.push(() => berth.stop());
    let replicas = 0;

    return {
      registry,
      podman,
      npm,
      database,
      adminPassword,
      get berth() {
        return berth;
      },
      output: () => earlier + berth.output(),
      async restartBerth(signal = "SIGTERM") {
        await berth.stop(signal);
        earlier += berth.output();
        berth = await startBerth({ port, env, cwd: workDir });
        return berth;
      },
      async startReplica() {
        if (!database) {
          throw new Error("startReplica needs Postgres: start the rig without `embedded`");
        }
        replicas += 1;
        const replica = await startBerth({
          port: await freePort(),
          env: { ...env, BERTH_DATA_DIR: path.join(workDir, `data-replica-${replicas}`) },
          cwd: workDir,
        });
        stops.push(() => replica.stop());
        return replica;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
