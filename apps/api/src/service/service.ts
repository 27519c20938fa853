import {
  createDeployWorker,
  createDockerClient,
  type DeployWorker,
  type DockerClient,
} from "@berth/deployer";
import { createPoller, type Poller } from "@berth/poller";
import { type Database, getSettings, type Secrets } from "@berth/store";
import type { Logger } from "pino";
import { createEventHub, type EventHub } from "../events/hub.js";
import type { PushNotice, PushOutcome } from "../webhooks/types.js";
import { engineUnreachableWarning, missingDockerClient } from "./missing-docker.js";
import { pushHandler } from "./push.js";

export interface ServiceOptions {
  db: Database;
  secrets: Secrets;
  logger: Logger;
  /** A `DOCKER_HOST` value. Unset tries the default socket. */
  dockerHost?: string | undefined;
  /** How long the engine's `/_ping` may take at start. Default 5 s. */
  dockerTimeoutMs?: number | undefined;
  /** Deploy worker timings, which tests shorten. */
  worker?: { pollIntervalMs?: number; stabilityMs?: number; staleAfterMs?: number } | undefined;
  /** Timeout of one registry request of the poller, in seconds. Default 30. */
  registryTimeoutSeconds?: number | undefined;
  fetch?: typeof fetch | undefined;
}

/** Services `berth serve` runs besides HTTP: the poller, the deploy worker and the event reader. */
export interface Service {
  poller: Poller;
  worker: DeployWorker;
  hub: EventHub;
  /** The engine client, or undefined when no engine was reachable at start. */
  docker(): DockerClient | undefined;
  onPush(push: PushNotice): Promise<PushOutcome>;
  /** Stops the poller and the worker, giving running deploys up to `timeoutMs` to finish. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts the worker (which first recovers what a crash left: deploys left running become
 * failed, containers are reconciled with the instances table) and the poller. A missing
 * engine or proxy manager is one warning line, not a failed start.
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { db, secrets, logger } = options;
  const decryptSecret = (value: string) => secrets.decrypt(value);
  const docker = await connectDocker(options);
  await warnWithoutProxyManager(db, logger, options.fetch ?? fetch);

  const worker = createDeployWorker({
    db,
    docker: docker ?? missingDockerClient(dockerReason(options.dockerHost)),
    logger,
    decryptSecret,
    ...(options.registryTimeoutSeconds
      ? { registryTimeoutSeconds: options.registryTimeoutSeconds }
      : {}),
    ...options.worker,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const poller = createPoller({
    db,
    decryptSecret,
    logger,
    ...(options.registryTimeoutSeconds
      ? { requestTimeoutSeconds: options.registryTimeoutSeconds }
      : {}),
    onCandidate: (candidate) => {
      if (candidate.autoDeploy) {
        worker.wake();
      }
    },
  });
  const hub = createEventHub({ db, logger });

  await worker.start();
  poller.start();

  return {
    poller,
    worker,
    hub,
    docker: () => docker,
    onPush: pushHandler(db, poller, logger),
    async stop(timeoutMs) {
      await Promise.all([poller.stop(), worker.stop(timeoutMs), hub.close()]);
    },
  };
}

async function connectDocker(options: ServiceOptions): Promise<DockerClient | undefined> {
  try {
    return await createDockerClient({
      host: options.dockerHost,
      timeoutMs: options.dockerTimeoutMs ?? 5000,
    });
  } catch (error) {
    // The host and the code are enough to act on, so the stack goes to debug only.
    const warning = engineUnreachableWarning(options.dockerHost, error);
    options.logger.warn({ dockerHost: warning.host, code: warning.code }, warning.message);
    options.logger.debug({ err: error }, "Docker engine connection failed");
    return undefined;
  }
}

function dockerReason(host: string | undefined): string {
  return `${host ?? "unix:///var/run/docker.sock"} did not answer at start; set BERTH_DOCKER_HOST and restart Berth`;
}

async function warnWithoutProxyManager(
  db: Database,
  logger: Logger,
  fetchImpl: typeof fetch,
): Promise<void> {
  const settings = await getSettings(db);
  if (!settings.npmUrl || !settings.npmEmail || !settings.npmPasswordSet) {
    logger.warn(
      "Nginx Proxy Manager is not configured: deploys will fail at the proxy step until the settings have its URL, email and password",
    );
    return;
  }
  const reachable = await fetchImpl(new URL("/api/", settings.npmUrl), {
    signal: AbortSignal.timeout(3000),
  }).then(
    () => true,
    () => false,
  );
  if (!reachable) {
    logger.warn(
      `Nginx Proxy Manager at ${settings.npmUrl} is unreachable: deploys will fail at the proxy step until it answers`,
    );
  }
}
