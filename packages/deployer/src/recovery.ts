/**
 * Recovery: finishes deploys a crash left running and removes their half-made containers
 * (at start and periodically), removes containers whose instance Berth already gave up
 * (periodically), and at start reconciles containers carrying Berth's labels with the
 * `instances` table.
 */
import {
  appendDeployLog,
  claimStaleDeploy,
  type Deploy,
  finishDeploy,
  getInstance,
  listDeployInstances,
  listInterruptedDeploys,
  listLiveInstances,
  projects,
  releaseStaleDeploy,
  StoreError,
  stages,
  touchDeploys,
  updateInstance,
} from "@berth/store";
import { eq } from "drizzle-orm";
import { messageOf } from "./errors.js";
import { type DeployContext, loadDeployContext } from "./pipeline/context.js";
import { LABELS } from "./pipeline/naming.js";
import { notifyDeployOutcome, type PipelineDeps } from "./pipeline/run-deploy.js";
import { failureRun } from "./pipeline/store-retry.js";
import { finishInterruptedSwitch } from "./recovery-switch.js";

/** Deploys a stale sweep acted on, by outcome. */
export interface SweepResult {
  /** Deploys that died after the health gate and whose switch the sweep finished. */
  finished: number;
  /** Deploys the sweep failed, removing the containers they had made. */
  failed: number;
  /** Deploys kept `running` in step `proxy` until the proxy manager can be reached. */
  waiting: number;
}

export interface SweepOptions {
  /** Identifies this process in `deploys.claimed_by`. */
  workerId: string;
  /** A running deploy whose heartbeat is this old belongs to a dead process. */
  staleAfterMs: number;
  /** How often a deploy being recovered gets its heartbeat refreshed. */
  heartbeatIntervalMs: number;
  /** Deploys this process runs now. Given in periodic sweeps, absent at start. */
  ownDeploys?: ReadonlySet<string>;
}

/**
 * Runs both recovery passes; logs and goes on when one item fails. Returns what the stale
 * sweep ended.
 */
export async function recoverAtStart(
  deps: PipelineDeps,
  options: Omit<SweepOptions, "ownDeploys">,
): Promise<SweepResult> {
  const swept = await sweepStaleDeploys(deps, options);
  await reconcileContainers(deps);
  return swept;
}

/**
 * Ends every `running` deploy whose process stopped: its heartbeat is older than
 * `staleAfterMs`, or (at start only) it was claimed under `workerId`. A deploy that died in
 * `proxy` or `retire` with a healthy instance is finished, or waits for the next sweep while
 * the proxy manager cannot be reached. Every other one is failed. Each deploy is claimed
 * first, so of several processes sweeping at once only one acts on it. Run at start and then
 * periodically, since a restarted process has a new worker id and its predecessor's
 * heartbeat only goes stale after the restart. Returns how many deploys it finished, failed
 * and left waiting.
 */
export async function sweepStaleDeploys(
  deps: PipelineDeps,
  options: SweepOptions,
): Promise<SweepResult> {
  const staleBefore = new Date(deps.now().getTime() - options.staleAfterMs);
  const interrupted = await listInterruptedDeploys(deps.db, {
    workerId: options.workerId,
    staleBefore,
  });
  const result: SweepResult = { finished: 0, failed: 0, waiting: 0 };
  for (const deploy of interrupted) {
    // While this process runs, its own deploys are alive even when a heartbeat write
    // failed, and one it claimed a moment ago may not be in `ownDeploys` yet.
    if (options.ownDeploys && !isStale(deploy, staleBefore, options.ownDeploys)) continue;
    await recoverClaimed(deps, deploy, { ...options, staleBefore }).then(
      (outcome) => {
        if (outcome) result[outcome] += 1;
      },
      (error: unknown) =>
        deps.logger.error(
          { deploy: deploy.id, error: messageOf(error) },
          "recovery of deploy failed",
        ),
    );
  }
  return result;
}

function isStale(deploy: Deploy, staleBefore: Date, ownDeploys: ReadonlySet<string>): boolean {
  return (
    !ownDeploys.has(deploy.id) && deploy.heartbeatAt !== null && deploy.heartbeatAt < staleBefore
  );
}

/**
 * Claims the deploy and recovers it with its heartbeat kept fresh. Returns `null` when
 * another process claimed it first or its own process proved alive since the listing.
 */
async function recoverClaimed(
  deps: PipelineDeps,
  listed: Deploy,
  options: SweepOptions & { staleBefore: Date },
): Promise<keyof SweepResult | null> {
  const deploy = await claimStaleDeploy(deps.db, listed.id, {
    workerId: options.workerId,
    staleBefore: options.staleBefore,
    includeOwn: options.ownDeploys === undefined,
    now: deps.now(),
  });
  if (!deploy) {
    deps.logger.debug(
      { deploy: listed.id },
      "stale deploy skipped: another process claimed it or it is alive again",
    );
    return null;
  }

  const outcome = await withHeartbeat(deps, deploy.id, options.heartbeatIntervalMs, () =>
    recoverInterrupted(deps, deploy),
  );
  if (outcome === "waiting") {
    // Stale again right away, so the next sweep of whichever process comes first retries.
    const heartbeatAt = new Date(options.staleBefore.getTime() - 1);
    await releaseStaleDeploy(deps.db, deploy.id, { workerId: options.workerId, heartbeatAt });
  }
  return outcome;
}

/** Finishes a deploy that died after its health gate, else fails it, unless it must wait. */
async function recoverInterrupted(deps: PipelineDeps, deploy: Deploy): Promise<keyof SweepResult> {
  const outcome = await finishInterruptedSwitch(deps, deploy);
  if (outcome !== "unfinished") return outcome;
  await failInterrupted(deps, deploy);
  return "failed";
}

/**
 * Runs `work` while refreshing the deploy's heartbeat every `intervalMs`, as the worker does
 * for the deploys it runs, so no other process takes the deploy for dead meanwhile. Waits for
 * a refresh in flight before it returns, so none lands after a later release of the claim.
 */
async function withHeartbeat<T>(
  deps: PipelineDeps,
  deployId: string,
  intervalMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const failures = failureRun(deps.logger.child({ deploy: deployId }), "recovery heartbeat");
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = touchDeploys(deps.db, [deployId], deps.now()).then(
      () => failures.succeeded(),
      (error: unknown) => failures.failed(error),
    );
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await inFlight;
  }
}

async function failInterrupted(deps: PipelineDeps, deploy: Deploy): Promise<void> {
  const containers = await deps.docker.listContainers({ [LABELS.deploy]: deploy.id });
  for (const container of containers) {
    await deps.docker.removeContainer(container.id);
  }
  for (const instance of await listDeployInstances(deps.db, deploy.id)) {
    await updateInstance(deps.db, instance.id, { status: "removed", stoppedAt: deps.now() });
  }

  const message = `Berth stopped during step ${deploy.step ?? "start"} and the deploy was failed on recovery; removed ${containers.length} container(s) it had made`;
  await appendDeployLog(deps.db, {
    deployId: deploy.id,
    level: "error",
    step: deploy.step,
    message,
    at: deps.now(),
  });
  const error = `interrupted: ${message}`;
  await finishDeploy(deps.db, deploy.id, { status: "failed", error, now: deps.now() });
  await notifyFailed(deps, deploy, error);
  deps.logger.warn(
    { deploy: deploy.id, containers: containers.length },
    "interrupted deploy failed",
  );
}

/** Sends `deploy.failed` as the pipeline does. A deploy whose stage row is gone gets none. */
async function notifyFailed(deps: PipelineDeps, deploy: Deploy, error: string): Promise<void> {
  let context: DeployContext;
  try {
    context = await loadDeployContext(deps.db, deploy);
  } catch (loadError) {
    deps.logger.warn(
      { deploy: deploy.id, error: messageOf(loadError) },
      "failure notification not sent: loading the deploy's stage failed",
    );
    return;
  }
  notifyDeployOutcome(deps, context, "failed", { step: deploy.step, error });
}

/**
 * Removes each container with Berth's labels whose instance is `removed`: a failed deploy's
 * cleanup marks its instance removed even when the engine did not respond, and this sweep
 * removes the container once the engine is back. A container whose instance is not in the
 * table is left alone, because another Berth installation may own it. Returns how many
 * containers it removed.
 */
export async function removeOrphanContainers(deps: PipelineDeps): Promise<number> {
  const containers = await deps.docker.listContainers({ [LABELS.managed]: "true" });
  let removed = 0;
  for (const container of containers) {
    const instanceId = container.labels[LABELS.instance];
    const instance = instanceId ? await findInstance(deps, instanceId) : null;
    if (instance?.status !== "removed") continue;

    await deps.docker.removeContainer(container.id);
    removed += 1;
    deps.logger.warn(
      { container: container.name, instance: instance.id, deploy: instance.deployId },
      "removed a container whose instance was already removed",
    );
  }
  return removed;
}

async function findInstance(deps: PipelineDeps, instanceId: string) {
  return getInstance(deps.db, instanceId).catch((error: unknown) => {
    if (error instanceof StoreError && error.kind === "not_found") return null;
    throw error;
  });
}

/**
 * Updates each live instance from its container's state. A container whose `berth.project`
 * label names another project than its instance's is never adopted.
 */
async function reconcileContainers(deps: PipelineDeps): Promise<void> {
  const containers = await deps.docker.listContainers({ [LABELS.managed]: "true" });
  const seen = new Set<string>();

  for (const container of containers) {
    const instanceId = container.labels[LABELS.instance];
    if (!instanceId) continue;
    const instance = await findInstance(deps, instanceId);
    // A `starting` instance belongs to a deploy still running in another process.
    if (!instance || instance.status === "removed" || instance.status === "starting") continue;

    const slug = await projectSlugOfStage(deps, instance.stageId);
    if (slug !== container.labels[LABELS.project]) {
      deps.logger.warn(
        {
          instance: instance.id,
          container: container.name,
          label: container.labels[LABELS.project],
        },
        "container labels name another project: not adopted",
      );
      continue;
    }
    seen.add(instance.id);
    const status = container.state === "running" ? "running" : "stopped";
    if (instance.status !== status || instance.containerId !== container.id) {
      await updateInstance(deps.db, instance.id, { status, containerId: container.id });
    }
  }

  for (const instance of await listLiveInstances(deps.db)) {
    if (!seen.has(instance.id) && instance.status !== "starting") {
      await updateInstance(deps.db, instance.id, {
        status: "failed",
        health: "container missing",
        stoppedAt: deps.now(),
      });
      deps.logger.warn({ instance: instance.id }, "instance container missing");
    }
  }
}

async function projectSlugOfStage(
  deps: PipelineDeps,
  stageId: string,
): Promise<string | undefined> {
  const [row] = await deps.db
    .select({ slug: projects.slug })
    .from(stages)
    .innerJoin(projects, eq(projects.id, stages.projectId))
    .where(eq(stages.id, stageId));
  return row?.slug;
}
