/**
 * The deploy worker: claims queued deploys from the `deploys` table and runs them, at most
 * one per stage and at most the global limit at once, across every Berth process sharing
 * the database.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  claimNextDeploy,
  type Database,
  type Deploy,
  getSettings,
  touchDeploys,
} from "@berth/store";
import type { Logger } from "pino";
import type { DockerClient } from "./docker/types.js";
import { messageOf } from "./errors.js";
import type { DeployContext } from "./pipeline/context.js";
import { createNotifier, type Notifier } from "./pipeline/notify.js";
import { type PipelineDeps, runDeploy } from "./pipeline/run-deploy.js";
import { failureRun } from "./pipeline/store-retry.js";
import { createProxyManagerClient, type ProxyManagerClient } from "./proxy/client.js";
import {
  recoverAtStart,
  removeOrphanContainers,
  type SweepResult,
  sweepStaleDeploys,
} from "./recovery.js";

export interface DeployWorkerOptions {
  db: Database;
  docker: DockerClient;
  logger: Logger;
  /** Decrypts an `*_encrypted` column value (registry tokens, secret env, NPM password). */
  decryptSecret: (value: string) => string;
  /**
   * The NPM client. Without it, one is made from the settings' NPM URL, email and password
   * whenever they are set.
   */
  proxy?: ProxyManagerClient | undefined;
  clock?: { now(): Date } | undefined;
  /** Identifies this process in `deploys.claimed_by`. Default: host name, pid and a random part. */
  workerId?: string | undefined;
  /** Most deploys this process runs at once; the settings' `deploy_concurrency` caps all processes. */
  concurrency?: number | undefined;
  /** How often to look for queued deploys when idle. Default 1 s. */
  pollIntervalMs?: number | undefined;
  /**
   * A running deploy whose heartbeat is this old belongs to a dead process, and whichever
   * Berth process sweeps first finishes or fails it. Default 60 s.
   */
  staleAfterMs?: number | undefined;
  /**
   * How often running deploys prove they are alive, and how often this process sweeps for
   * deploys whose process died. At most a third of `staleAfterMs`, so a live worker whose
   * heartbeat write was slow or failed once never looks dead. Default: a sixth of
   * `staleAfterMs`, at most 10 s.
   */
  heartbeatIntervalMs?: number | undefined;
  /** Stability window for containers without any health check. Default 10 s. */
  stabilityMs?: number | undefined;
  stopTimeoutSeconds?: number | undefined;
  /** Time limit of one registry request when a deploy resolves its tag. Default 30 s. */
  registryTimeoutSeconds?: number | undefined;
  fetch?: typeof fetch | undefined;
  notifier?: Notifier | undefined;
  onTiming?: PipelineDeps["onTiming"];
}

export interface DeployWorker {
  readonly workerId: string;
  /** Recovers what a crash left behind, then starts claiming. */
  start(): Promise<void>;
  /** Stops claiming and waits up to `timeoutMs` for running deploys and notifications. */
  stop(timeoutMs?: number): Promise<void>;
  /** Looks for queued deploys now instead of at the next poll. */
  wake(): void;
  /** Claims and runs deploys until none can start; for tests and one-shot runs. */
  runUntilIdle(): Promise<Array<Deploy["status"]>>;
}

/** Creates a worker; nothing runs until `start()` or `runUntilIdle()`. */
export function createDeployWorker(options: DeployWorkerOptions): DeployWorker {
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(
      `createDeployWorker: concurrency must be a positive integer, got ${concurrency}`,
    );
  }
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.min(10_000, staleAfterMs / 6);
  checkTimings(heartbeatIntervalMs, staleAfterMs);
  const workerId =
    options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const logger = options.logger.child({ worker: workerId });
  const now = () => options.clock?.now() ?? new Date();
  const deps: PipelineDeps = {
    db: options.db,
    docker: options.docker,
    proxyFor: proxyResolver(options),
    logger,
    now,
    decryptSecret: options.decryptSecret,
    notifier: options.notifier ?? createNotifier({ logger, fetch: options.fetch }),
    stabilityMs: options.stabilityMs ?? 10_000,
    stopTimeoutSeconds: options.stopTimeoutSeconds ?? 10,
    registryTimeoutSeconds: options.registryTimeoutSeconds ?? 30,
    fetch: options.fetch ?? fetch,
    onTiming: options.onTiming,
  };

  const sweepOptions = { workerId, staleAfterMs, heartbeatIntervalMs };
  const running = new Map<string, Promise<Deploy["status"]>>();
  let stopped = true;
  let pollTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let ticking = false;
  let sweeping = false;
  // A database outage fails these every second; one warning per outage is enough.
  const claiming = failureRun(logger, "claiming deploys");
  const sweepingStale = failureRun(logger, "sweeping stale deploys");
  const heartbeat = failureRun(logger, "heartbeat");
  const sweepingOrphans = failureRun(logger, "sweeping containers of removed instances");

  async function claimOne(): Promise<Deploy | null> {
    const maxRunning = await readConcurrency(options.db);
    return claimNextDeploy(options.db, { workerId, maxRunning, now: now() });
  }

  function launch(deploy: Deploy): Promise<Deploy["status"]> {
    const run = runDeploy(deps, deploy)
      .catch((error: unknown) => {
        // Only recording the outcome failed (the store is unreachable). The deploy stays
        // `running` until its heartbeat goes stale, and then a recovery sweep ends it.
        logger.error({ deploy: deploy.id, error: messageOf(error) }, "recording the deploy failed");
        return "running" as const;
      })
      .finally(() => {
        running.delete(deploy.id);
        if (!stopped) wake();
      });
    running.set(deploy.id, run);
    return run;
  }

  async function tick(): Promise<void> {
    if (ticking || stopped) return;
    ticking = true;
    try {
      while (!stopped && running.size < concurrency) {
        const deploy = await claimOne();
        if (!deploy) break;
        logger.info(
          { deploy: deploy.id, stage: deploy.stageId, tag: deploy.tag },
          "deploy claimed",
        );
        void launch(deploy);
      }
      claiming.succeeded();
    } catch (error) {
      claiming.failed(error);
    } finally {
      ticking = false;
    }
  }

  function wake(): void {
    void tick();
  }

  /** Refreshes the heartbeat of this process's running deploys, so recovery leaves them alone. */
  function startHeartbeat(): NodeJS.Timeout {
    return setInterval(() => {
      touchDeploys(options.db, [...running.keys()], now()).then(
        () => heartbeat.succeeded(),
        (error: unknown) => heartbeat.failed(error),
      );
    }, heartbeatIntervalMs);
  }

  // Waiting deploys are retried at every sweep and each one logs its own wait once.
  function logSwept({ finished, failed, waiting }: SweepResult): void {
    if (finished + failed > 0) {
      logger.warn({ finished, failed, waiting }, "stale deploys ended on recovery");
    }
  }

  /**
   * Ends deploys whose process died after this one started: a restarted process gets a new
   * worker id, so its predecessor's deploys only look dead once their heartbeat goes stale.
   */
  async function sweep(): Promise<void> {
    if (sweeping || stopped) return;
    sweeping = true;
    try {
      const ownDeploys = new Set(running.keys());
      logSwept(await sweepStaleDeploys(deps, { ...sweepOptions, ownDeploys }));
      sweepingStale.succeeded();
    } catch (error) {
      sweepingStale.failed(error);
    }
    await sweepOrphans();
    sweeping = false;
  }

  /** Removes containers of removed instances. An engine outage gets one warning; repeats go to debug. */
  async function sweepOrphans(): Promise<void> {
    try {
      await removeOrphanContainers(deps);
      sweepingOrphans.succeeded();
    } catch (error) {
      sweepingOrphans.failed(error);
    }
  }

  return {
    workerId,
    async start() {
      logSwept(await recoverAtStart(deps, sweepOptions));
      stopped = false;
      pollTimer = setInterval(wake, options.pollIntervalMs ?? 1000);
      heartbeatTimer = startHeartbeat();
      sweepTimer = setInterval(() => void sweep(), heartbeatIntervalMs);
      wake();
    },
    async stop(timeoutMs = 30_000) {
      stopped = true;
      clearInterval(pollTimer);
      clearInterval(sweepTimer);
      const deadline = new Promise<"timeout">((resolve) =>
        setTimeout(() => resolve("timeout"), timeoutMs).unref(),
      );
      const finished = Promise.allSettled([...running.values()]).then(() => "done" as const);
      if ((await Promise.race([finished, deadline])) === "timeout") {
        logger.warn({ deploys: [...running.keys()] }, "deploys still running at shutdown");
      }
      // Only now: deploys finishing during shutdown must not look dead to other processes.
      clearInterval(heartbeatTimer);
      await deps.notifier.drain(Math.min(timeoutMs, 5000));
    },
    wake,
    async runUntilIdle() {
      const results: Array<Deploy["status"]> = [];
      const heartbeat = startHeartbeat();
      try {
        for (;;) {
          const deploy = await claimOne();
          if (!deploy) return results;
          results.push(await launch(deploy));
        }
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

function checkTimings(heartbeatIntervalMs: number, staleAfterMs: number): void {
  if (!Number.isFinite(staleAfterMs) || staleAfterMs <= 0) {
    throw new Error(
      `createDeployWorker: staleAfterMs must be a positive number of milliseconds, got ${staleAfterMs}`,
    );
  }
  if (!Number.isFinite(heartbeatIntervalMs) || heartbeatIntervalMs <= 0) {
    throw new Error(
      `createDeployWorker: heartbeatIntervalMs must be a positive number of milliseconds, got ${heartbeatIntervalMs}`,
    );
  }
  if (staleAfterMs < 3 * heartbeatIntervalMs) {
    throw new Error(
      `createDeployWorker: staleAfterMs must be at least 3 heartbeat intervals (${3 * heartbeatIntervalMs} ms), got ${staleAfterMs}: raise staleAfterMs or shorten heartbeatIntervalMs`,
    );
  }
}

async function readConcurrency(db: Database): Promise<number> {
  return (await getSettings(db)).deployConcurrency;
}

/** Uses the given client, or one made from the settings (kept while they do not change). */
function proxyResolver(options: DeployWorkerOptions): PipelineDeps["proxyFor"] {
  let cached: { key: string; client: ProxyManagerClient } | undefined;
  return (context: DeployContext) => {
    if (options.proxy) {
      return options.proxy;
    }
    const { npmUrl, npmEmail, npmPasswordEncrypted } = context.settings;
    if (!npmUrl || !npmEmail || !npmPasswordEncrypted) {
      return undefined;
    }
    const key = `${npmUrl}\n${npmEmail}\n${npmPasswordEncrypted}`;
    if (cached?.key !== key) {
      const password = options.decryptSecret(npmPasswordEncrypted);
      cached = {
        key,
        client: createProxyManagerClient({ url: npmUrl, email: npmEmail, password }),
      };
    }
    return cached.client;
  };
}
