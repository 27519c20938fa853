/**
 * One deploy from claim to finish: resolve and pin the digest → pull → create → start →
 * health gate → proxy host → retire → notify. Any failure removes what this deploy created and
 * leaves the running instances and the proxy host as they were.
 */
import {
  appendDeployLog,
  type Database,
  type Deploy,
  finishDeploy,
  insertInstance,
  type LogLevel,
  setDeployDigest,
  setDeployStep,
  updateInstance,
} from "@berth/store";
import type { Logger } from "pino";
import type { DockerClient, ImageHealthcheck } from "../docker/types.js";
import {
  DeployError,
  type DeployStep,
  DockerError,
  messageOf,
  rootCauseMessage,
} from "../errors.js";
import type { ProxyManagerClient } from "../proxy/client.js";
import { buildContainerSpec } from "./container-spec.js";
import { type DeployContext, engineRepository, loadDeployContext } from "./context.js";
import { waitUntilHealthy } from "./health-gate.js";
import { containerName, LABELS } from "./naming.js";
import type { DeployEvent, Notifier } from "./notify.js";
import { switchProxyHost } from "./proxy-step.js";
import { resolveDigest } from "./resolve.js";
import { retireInstances } from "./retire.js";
import { retryWhileUnreachable } from "./store-retry.js";

/** Dependencies of the pipeline, injected by the worker. */
export interface PipelineDeps {
  db: Database;
  docker: DockerClient;
  /** The proxy client for the current settings, or `undefined` when NPM is not configured. */
  proxyFor(context: DeployContext): ProxyManagerClient | undefined;
  logger: Logger;
  now(): Date;
  decryptSecret(value: string): string;
  notifier: Notifier;
  /** Time a container without any health check must run without restarting. */
  stabilityMs: number;
  /** Seconds the engine gives a container to stop before killing it. */
  stopTimeoutSeconds: number;
  /** Time limit of one registry request in the resolve step (`BERTH_REGISTRY_TIMEOUT_SECONDS`). */
  registryTimeoutSeconds: number;
  fetch: typeof fetch;
  /** Called after each engine call and gate with its duration, for the benchmark. */
  onTiming?: ((kind: "engine" | "health", ms: number) => void) | undefined;
}

/** Resources this deploy created so far; the cleanup removes exactly these. */
interface CreatedResources {
  containerId?: string;
  instanceId?: string;
  proxyHostId?: number;
  tagProxyHostId?: number;
}

/** Writes a line to the deploy log (what the dashboard streams) and to the process log. */
export type DeployLog = (
  level: LogLevel,
  step: DeployStep | null,
  message: string,
) => Promise<void>;

/** Returns the log function of one deploy. */
export function deployLogFor(deps: PipelineDeps, deploy: Deploy): DeployLog {
  const logger = deps.logger.child({ deploy: deploy.id, stage: deploy.stageId });
  return async (level, step, message) => {
    logger[level]({ step }, message);
    await appendDeployLog(deps.db, { deployId: deploy.id, level, step, message, at: deps.now() });
  };
}

/**
 * Runs a claimed deploy to its end and returns its final status. A failed step ends the
 * deploy `failed` or `rolled_back`. Only a store error while recording that is thrown, once
 * the database stayed unreachable for the whole retry time.
 */
export async function runDeploy(deps: PipelineDeps, deploy: Deploy): Promise<Deploy["status"]> {
  const log = deployLogFor(deps, deploy);
  const created: CreatedResources = {};
  let step: DeployStep = "resolve";
  let context: DeployContext | undefined;
  const enter = async (next: DeployStep) => {
    step = next;
    await setDeployStep(deps.db, deploy.id, next, deps.now());
  };

  try {
    context = await loadDeployContext(deps.db, deploy);
    await runSteps(deps, context, created, log, enter);
  } catch (error) {
    return failDeploy(deps, deploy, { context, created, log, step }, error);
  }

  // The new instance serves and the old ones are retired, so a store failure from here on
  // must not undo the deploy by cleaning up. When the database stays unreachable past the
  // retry time, the deploy stays `running` in step `retire`, and the stale sweep finishes it
  // once its heartbeat is stale (`finishInterruptedSwitch`).
  await retryWhileUnreachable(
    () => finishDeploy(deps.db, deploy.id, { status: "succeeded", now: deps.now() }),
    { logger: deps.logger, what: `finish deploy ${deploy.id}` },
  );
  await logQuietly(deps, log, "info", null, "deploy succeeded");
  notifyDeployOutcome(deps, context, "succeeded", { step: null, error: null });
  return "succeeded";
}

/**
 * Records the failure, removes what the deploy created and finishes it. The database may be
 * what failed, so log lines are written where possible and the final writes are retried.
 */
async function failDeploy(
  deps: PipelineDeps,
  deploy: Deploy,
  run: {
    context: DeployContext | undefined;
    created: CreatedResources;
    log: DeployLog;
    step: DeployStep;
  },
  error: unknown,
): Promise<Deploy["status"]> {
  const failedStep = error instanceof DeployError ? error.step : run.step;
  const message = messageOf(error);
  await logQuietly(deps, run.log, "error", failedStep, message);
  await cleanUp(deps, run.context, run.created, run.log);
  // Once a container has started, the failure undid a switch attempt. The old instances
  // keep serving, and the status "rolled_back" reports that to the user.
  const status = run.created.containerId && failedStep !== "create" ? "rolled_back" : "failed";
  await retryWhileUnreachable(
    () =>
      finishDeploy(deps.db, deploy.id, {
        status,
        step: failedStep,
        error: message,
        now: deps.now(),
      }),
    { logger: deps.logger, what: `finish deploy ${deploy.id}` },
  );
  if (run.context) {
    notifyDeployOutcome(deps, run.context, status, { step: failedStep, error: message });
  }
  return status;
}

/** Writes a deploy log line; when the database cannot take it, the process log still has it. */
async function logQuietly(
  deps: PipelineDeps,
  log: DeployLog,
  ...line: Parameters<DeployLog>
): Promise<void> {
  try {
    await log(...line);
  } catch (error) {
    deps.logger.warn(
      { error: rootCauseMessage(error), line: line[2] },
      "deploy log line not stored in the database",
    );
  }
}

/** One deploy's state shared by its steps. */
interface Run {
  deps: PipelineDeps;
  context: DeployContext;
  created: CreatedResources;
  log: DeployLog;
  enter: (step: DeployStep) => Promise<void>;
}

async function runSteps(
  deps: PipelineDeps,
  context: DeployContext,
  created: CreatedResources,
  log: DeployLog,
  enter: (step: DeployStep) => Promise<void>,
): Promise<void> {
  const run: Run = { deps, context, created, log, enter };
  const pulled = await pinAndPull(run);
  const instance = await createInstance(run, pulled);
  const upstream = await startInstance(run, instance);

  await enter("health");
  await timed(deps, "health", () =>
    waitUntilHealthy(deps, context, instance.containerId, pulled.healthcheck, upstream),
  );
  await updateInstance(deps.db, instance.id, { status: "running", health: "healthy" });
  await log("info", "health", "health gate passed");

  await enter("proxy");
  await switchProxyHost(deps, context, instance.id, upstream, created, log);

  await enter("retire");
  await retireInstances(deps, context, instance.id, log);
}

interface PulledImage {
  /** `registry/repository@sha256:…` */
  image: string;
  digest: string;
  healthcheck: ImageHealthcheck | null;
  exposedPort: number | undefined;
}

/** Resolves the tag to a digest when the deploy has none, then pulls by digest. */
async function pinAndPull({ deps, context, log, enter }: Run): Promise<PulledImage> {
  const { deploy, project, registry } = context;
  const repository = engineRepository(registry, project.repository);

  await enter("resolve");
  let digest = deploy.digest;
  if (!digest) {
    digest = await resolveDigest(context, deps);
    await setDeployDigest(deps.db, deploy.id, digest);
    // Later steps and the notification read the pinned digest from the context.
    context.deploy = { ...deploy, digest };
  }
  await log("info", "resolve", `${repository}:${deploy.tag} pinned to ${digest}`);

  await enter("pull");
  const auth = registryAuth(deps, context);
  await wrap("pull", () => timed(deps, "engine", () => deps.docker.pull(repository, digest, auth)));
  const image = `${repository}@${digest}`;
  const info = await timed(deps, "engine", () => deps.docker.inspectImage(image));
  await log("info", "pull", `pulled ${image}`);
  return {
    image,
    digest,
    healthcheck: info?.healthcheck ?? null,
    exposedPort: portOf(info?.exposedPorts[0]),
  };
}

interface CreatedInstance {
  id: string;
  name: string;
  containerId: string;
  containerPort: number | undefined;
}

/** Records the instance, then creates its container under the deploy's name. */
async function createInstance(run: Run, pulled: PulledImage): Promise<CreatedInstance> {
  const { deps, context, created, log } = run;
  const { deploy, stage, project } = context;

  await run.enter("create");
  const name = containerName({
    project: project.slug,
    stage: stage.name,
    tag: deploy.tag,
    deployId: deploy.id,
  });
  await ensureNameFree(deps, name, deploy.id);
  const instance = await insertInstance(deps.db, {
    stageId: stage.id,
    deployId: deploy.id,
    containerName: name,
    tag: deploy.tag,
    digest: pulled.digest,
    status: "starting",
  });
  created.instanceId = instance.id;

  const containerPort = stage.containerPort ?? pulled.exposedPort;
  const spec = buildContainerSpec({
    context,
    name,
    image: pulled.image,
    instanceId: instance.id,
    containerPort,
    decryptSecret: deps.decryptSecret,
  });
  const network = spec.network?.name;
  if (network) {
    await wrap("create", () => deps.docker.ensureNetwork(network));
  }
  const containerId = await wrap("create", () =>
    timed(deps, "engine", () => deps.docker.createContainer(spec)),
  );
  created.containerId = containerId;
  await updateInstance(deps.db, instance.id, { containerId });
  await log("info", "create", `created container ${name}`);
  return { id: instance.id, name, containerId, containerPort };
}

/** Starts the container and finds where Berth and the proxy reach it. */
async function startInstance(
  { deps, context, log, enter }: Run,
  instance: CreatedInstance,
): Promise<Upstream | undefined> {
  await enter("start");
  await wrap("start", () =>
    timed(deps, "engine", () => deps.docker.startContainer(instance.containerId)),
  );
  const upstream = await upstreamOf(deps, context, instance);
  await updateInstance(deps.db, instance.id, {
    upstreamHost: upstream?.host ?? null,
    upstreamPort: upstream?.port ?? null,
  });
  const where = upstream ? `, reachable at ${upstream.host}:${upstream.port}` : "";
  await log("info", "start", `started${where}`);
  return upstream;
}

/** Removes a container with our name only when this deploy created it, else fails the step. */
async function ensureNameFree(deps: PipelineDeps, name: string, deployId: string) {
  const existing = await deps.docker.inspectContainer(name);
  if (!existing) {
    return;
  }
  if (existing.labels[LABELS.deploy] === deployId) {
    await deps.docker.removeContainer(existing.id);
    return;
  }
  throw new DeployError(
    "create",
    `a container named ${name} already exists and Berth did not create it for this deploy: rename or remove it; Berth left it untouched`,
  );
}

interface Upstream {
  host: string;
  port: number;
}

async function upstreamOf(
  deps: PipelineDeps,
  context: DeployContext,
  instance: CreatedInstance,
): Promise<Upstream | undefined> {
  const port = instance.containerPort;
  if (!port) {
    return undefined;
  }
  if (context.settings.reachMode === "network") {
    return { host: instance.name, port };
  }
  const state = await timed(deps, "engine", () =>
    deps.docker.inspectContainer(instance.containerId),
  );
  const published = state?.ports[`${port}/tcp`];
  if (!published?.hostPort) {
    throw new DeployError(
      "start",
      `the engine published no host port for ${port}/tcp: check that the container started`,
    );
  }
  return { host: context.settings.hostAddress, port: published.hostPort };
}

function registryAuth(deps: PipelineDeps, context: DeployContext) {
  const { registry } = context;
  if (!registry.tokenEncrypted) {
    return undefined;
  }
  return {
    username: registry.username ?? undefined,
    password: deps.decryptSecret(registry.tokenEncrypted),
    serverAddress: registry.type === "dockerhub" ? "docker.io" : new URL(registry.url).host,
  };
}

/**
 * Removes what this deploy created. Each part is tried on its own, so an engine that does not
 * respond still leaves the proxy cleaned and the instance marked `removed`. The worker's
 * periodic sweep removes that instance's container once the engine responds again.
 */
async function cleanUp(
  deps: PipelineDeps,
  context: DeployContext | undefined,
  created: CreatedResources,
  log: DeployLog,
): Promise<void> {
  const attempt = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      await logQuietly(deps, log, "warn", null, `cleanup incomplete: ${what}: ${messageOf(error)}`);
    }
  };

  const proxy = context ? deps.proxyFor(context) : undefined;
  for (const hostId of [created.proxyHostId, created.tagProxyHostId]) {
    if (hostId !== undefined && proxy) {
      await attempt(`proxy host ${hostId} left in place`, async () => {
        await proxy.deleteProxyHost(hostId);
        await logQuietly(
          deps,
          log,
          "info",
          null,
          `removed proxy host ${hostId} this deploy created`,
        );
      });
    }
  }
  const containerId = created.containerId;
  if (containerId) {
    await attempt("container left for the periodic sweep to remove", async () => {
      await deps.docker.removeContainer(containerId);
      await logQuietly(deps, log, "info", null, "removed the container this deploy created");
    });
  }
  const instanceId = created.instanceId;
  if (instanceId) {
    await attempt("instance not marked removed", () =>
      retryWhileUnreachable(
        () => updateInstance(deps.db, instanceId, { status: "removed", stoppedAt: deps.now() }),
        { logger: deps.logger, what: `mark instance ${instanceId} removed` },
      ).then(() => undefined),
    );
  }
}

/**
 * Sends the `deploy.<status>` event to the stage's notification URL, else the project's,
 * else the settings', in the background. Does nothing when none is set.
 */
export function notifyDeployOutcome(
  deps: PipelineDeps,
  context: DeployContext,
  status: "succeeded" | "failed" | "rolled_back",
  outcome: { step: string | null; error: string | null },
): void {
  const url =
    context.stage.notificationUrl ??
    context.project.notificationUrl ??
    context.settings.notificationUrl;
  if (!url) {
    return;
  }
  const secret = context.settings.notificationSecretEncrypted
    ? deps.decryptSecret(context.settings.notificationSecretEncrypted)
    : null;
  const event: DeployEvent = {
    event: `deploy.${status}`,
    at: deps.now().toISOString(),
    deploy: {
      id: context.deploy.id,
      project: context.project.slug,
      stage: context.stage.name,
      tag: context.deploy.tag,
      digest: context.deploy.digest,
      status,
      ...outcome,
    },
  };
  deps.notifier.send(url, secret, event);
}

function portOf(exposed: string | undefined): number | undefined {
  const port = exposed ? Number.parseInt(exposed, 10) : Number.NaN;
  return Number.isInteger(port) ? port : undefined;
}

/** Runs an engine call of `step`, turning an engine error into that step's `DeployError`. */
async function wrap<T>(step: DeployStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DockerError) {
      throw new DeployError(step, error.message, { cause: error });
    }
    throw error;
  }
}

async function timed<T>(
  deps: PipelineDeps,
  kind: "engine" | "health",
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    deps.onTiming?.(kind, performance.now() - started);
  }
}
