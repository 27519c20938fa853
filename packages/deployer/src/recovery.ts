/**
 * Start-up recovery: finishes deploys a crash left running, removes their half-made
 * containers, and reconciles containers carrying Berth's labels with the `instances` table.
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
import { LABELS } from "./pipeline/naming.js";
import type { PipelineDeps } from "./pipeline/run-deploy.js";

/** Runs both recovery passes; logs and goes on when one item fails. */
export async function recoverAtStart(
  deps: PipelineDeps,
  options: { workerId: string; staleAfterMs: number },
): Promise<void> {
  const staleBefore = new Date(deps.now().getTime() - options.staleAfterMs);
  const interrupted = await listInterruptedDeploys(deps.db, {
    workerId: options.workerId,
    staleBefore,
  });
  for (const deploy of interrupted) {
    await failInterrupted(deps, deploy).catch((error: unknown) =>
      deps.logger.error(
        { deploy: deploy.id, error: messageOf(error) },
        "recovery of deploy failed",
      ),
    );
  }
  await reconcileContainers(deps);
}

async function failInterrupted(deps: PipelineDeps, deploy: Deploy): Promise<void> {
  const containers = await deps.docker.listContainers({ [LABELS.deploy]: deploy.id });
  for (const container of containers) {
    await deps.docker.removeContainer(container.id);
  }
  for (const instance of await listDeployInstances(deps.db, deploy.id)) {
    await updateInstance(deps.db, instance.id, { status: "removed", stoppedAt: deps.now() });
  }

  const message = `Berth stopped while this deploy was at step ${deploy.step ?? "start"}; removed ${containers.length} container(s) it had made`;
  await appendDeployLog(deps.db, {
    deployId: deploy.id,
    level: "error",
    step: deploy.step,
    message,
    at: deps.now(),
  });
  await finishDeploy(deps.db, deploy.id, {
    status: "failed",
    error: `interrupted: ${message}`,
    now: deps.now(),
  });
  deps.logger.warn(
    { deploy: deploy.id, containers: containers.length },
    "interrupted deploy failed",
  );
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
    const instance = await getInstance(deps.db, instanceId).catch((error: unknown) => {
      if (error instanceof StoreError && error.kind === "not_found") return null;
      throw error;
    });
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
