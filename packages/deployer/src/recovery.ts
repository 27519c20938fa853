/**
 * Recovery: finishes deploys a crash left running and removes their half-made containers
 * (at start and periodically), removes containers whose instance Berth already gave up
 * (periodically), and at start reconciles containers carrying Berth's labels with the
 * `instances` table.
 */
import {
  appendDeployLog,
  type Deploy,
  finishDeploy,
  getInstance,
  listDeployInstances,
  listInterruptedDeploys,
  listLiveInstances,
  projects,
  StoreError,
  stages,
  updateInstance,
} from "@berth/store";
import { eq } from "drizzle-orm";
import { messageOf } from "./errors.js";
import { type DeployContext, loadDeployContext } from "./pipeline/context.js";
import { LABELS } from "./pipeline/naming.js";
import { notifyDeployOutcome, type PipelineDeps } from "./pipeline/run-deploy.js";
import { finishInterruptedSwitch } from "./recovery-switch.js";

/** Deploys a stale sweep ended, by outcome. */
export interface SweepResult {
  /** Deploys that died after the health gate and whose switch the sweep finished. */
  finished: number;
  /** Deploys the sweep failed, removing the containers they had made. */
  failed: number;
}

/**
 * Runs both recovery passes; logs and goes on when one item fails. Returns what the stale
 * sweep ended.
 */
export async function recoverAtStart(
  deps: PipelineDeps,
  options: { workerId: string; staleAfterMs: number },
): Promise<SweepResult> {
  const swept = await sweepStaleDeploys(deps, options);
  await reconcileContainers(deps);
  return swept;
}

/**
 * Ends every `running` deploy whose process stopped: its heartbeat is older than
 * `staleAfterMs`, or (at start only) it was claimed under `workerId`. A deploy that died in
 * `proxy` or `retire` with a healthy instance is finished, every other one is failed. Run at
 * start and then periodically, since a restarted process has a new worker id and its
 * predecessor's heartbeat only goes stale after the restart. Returns how many deploys it
 * finished and how many it failed.
 */
export async function sweepStaleDeploys(
  deps: PipelineDeps,
  options: { workerId: string; staleAfterMs: number; ownDeploys?: ReadonlySet<string> },
): Promise<SweepResult> {
  const staleBefore = new Date(deps.now().getTime() - options.staleAfterMs);
  const interrupted = await listInterruptedDeploys(deps.db, {
    workerId: options.workerId,
    staleBefore,
  });
  const result: SweepResult = { finished: 0, failed: 0 };
  for (const deploy of interrupted) {
    // While this process runs, its own deploys are alive even when a heartbeat write
    // failed, and one it claimed a moment ago may not be in `ownDeploys` yet.
    if (options.ownDeploys && !isStale(deploy, staleBefore, options.ownDeploys)) continue;
    await recoverInterrupted(deps, deploy).then(
      (outcome) => {
        result[outcome] += 1;
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

/** Finishes a deploy that died after its health gate, else fails it. */
async function recoverInterrupted(deps: PipelineDeps, deploy: Deploy): Promise<keyof SweepResult> {
  if (await finishInterruptedSwitch(deps, deploy)) return "finished";
  await failInterrupted(deps, deploy);
  return "failed";
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
