/**
 * Manual operations the API exposes: deploy a tag, redeploy, roll back, promote, approve or
 * reject, and stop/start/restart/remove one instance. Deploy operations only add or move
 * rows; the worker runs them.
 */
import {
  type Database,
  type Deploy,
  findSucceededDeploy,
  getDeploy,
  getInstance,
  type Instance,
  listLiveInstances,
  queueDeploy,
  stages,
  transitionDeploy,
  updateInstance,
} from "@berth/store";
import { eq } from "drizzle-orm";
import type { DockerClient } from "./docker/types.js";
import { OperationError } from "./errors.js";

const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

/** Queues a deploy of `tag` (pinned to `digest` when given, else resolved when it runs). */
export async function deployTag(
  db: Database,
  input: { stageId: string; tag: string; digest?: string | undefined; requestedBy: string },
): Promise<Deploy> {
  if (!TAG_PATTERN.test(input.tag)) {
    throw new OperationError(
      "invalid",
      `invalid tag "${input.tag}": use letters, digits, "_", "." and "-", at most 128 characters`,
    );
  }
  if (input.digest !== undefined && !DIGEST_PATTERN.test(input.digest)) {
    throw new OperationError(
      "invalid",
      `invalid digest "${input.digest}": use sha256: followed by 64 lower-case hex digits`,
    );
  }
  await requireStage(db, input.stageId);
  return queueDeploy(db, {
    stageId: input.stageId,
    tag: input.tag,
    digest: input.digest ?? null,
    trigger: "manual",
    requestedBy: input.requestedBy,
  });
}

/** Queues the same tag and digest as an earlier deploy again. */
export async function redeploy(
  db: Database,
  input: { deployId: string; requestedBy: string },
): Promise<Deploy> {
  const source = await getDeploy(db, input.deployId);
  if (!source.digest) {
    throw new OperationError(
      "invalid",
      `deploy ${source.id} never resolved a digest: deploy its tag ${source.tag} instead`,
    );
  }
  return queueDeploy(db, {
    stageId: source.stageId,
    tag: source.tag,
    digest: source.digest,
    trigger: "redeploy",
    requestedBy: input.requestedBy,
    sourceDeployId: source.id,
  });
}

/** Queues a deploy of the exact digest an earlier succeeded deploy of the stage ran. */
export async function rollback(
  db: Database,
  input: { deployId: string; requestedBy: string },
): Promise<Deploy> {
  const source = await getDeploy(db, input.deployId);
  if (source.status !== "succeeded" || !source.digest) {
    throw new OperationError(
      "invalid",
      `deploy ${source.id} is ${source.status}: roll back only to a succeeded deploy`,
    );
  }
  return queueDeploy(db, {
    stageId: source.stageId,
    tag: source.tag,
    digest: source.digest,
    trigger: "rollback",
    requestedBy: input.requestedBy,
    sourceDeployId: source.id,
  });
}

/**
 * Queues, on the stage, the exact digest running in its `promote_from` stage (the newest
 * running instance there), so what was tested is what ships.
 */
export async function promote(
  db: Database,
  input: { stageId: string; requestedBy: string },
): Promise<Deploy> {
  const stage = await requireStage(db, input.stageId);
  if (!stage.promoteFromStageId) {
    throw new OperationError(
      "invalid",
      `stage ${stage.name} has no promote_from stage: set one before promoting`,
    );
  }
  const running = (await listLiveInstances(db, stage.promoteFromStageId)).filter(
    (instance) => instance.status === "running",
  );
  const newest = running.at(-1);
  if (!newest) {
    throw new OperationError(
      "conflict",
      `nothing runs in the stage that ${stage.name} promotes from: deploy there first`,
    );
  }
  const source = await findSucceededDeploy(db, stage.promoteFromStageId, newest.digest);
  return queueDeploy(db, {
    stageId: stage.id,
    tag: newest.tag,
    digest: newest.digest,
    trigger: "promote",
    requestedBy: input.requestedBy,
    sourceDeployId: source?.id ?? newest.deployId,
  });
}

/** Queues a deploy that waits for approval. */
export async function approveDeploy(
  db: Database,
  input: { deployId: string; approvedBy: string },
): Promise<Deploy> {
  const moved = await transitionDeploy(db, input.deployId, "pending_approval", "queued", {
    approvedBy: input.approvedBy,
  });
  return moved ?? rejectState(db, input.deployId, "approve");
}

/** Rejects a deploy that waits for approval; it never runs. */
export async function rejectDeploy(
  db: Database,
  input: { deployId: string; rejectedBy: string },
): Promise<Deploy> {
  const moved = await transitionDeploy(db, input.deployId, "pending_approval", "rejected", {
    approvedBy: input.rejectedBy,
    finishedAt: new Date(),
  });
  return moved ?? rejectState(db, input.deployId, "reject");
}

/** Cancels a deploy that has not started: queued or waiting for approval. */
export async function cancelDeploy(
  db: Database,
  input: { deployId: string; cancelledBy: string },
): Promise<Deploy> {
  for (const from of ["queued", "pending_approval"] as const) {
    const moved = await transitionDeploy(db, input.deployId, from, "cancelled", {
      error: `cancelled by ${input.cancelledBy}`,
      finishedAt: new Date(),
    });
    if (moved) {
      return moved;
    }
  }
  const current = await getDeploy(db, input.deployId);
  throw new OperationError(
    "conflict",
    `cannot cancel deploy ${input.deployId}: it is ${current.status}; only queued or pending_approval deploys can be cancelled`,
  );
}

async function rejectState(db: Database, deployId: string, action: string): Promise<never> {
  const current = await getDeploy(db, deployId);
  throw new OperationError(
    "conflict",
    `cannot ${action} deploy ${deployId}: it is ${current.status}, not pending_approval`,
  );
}

/** Engine and store handles the instance operations use. */
export interface InstanceOperationDeps {
  db: Database;
  docker: DockerClient;
  stopTimeoutSeconds?: number | undefined;
}

/** Stops the instance's container; its proxy host keeps pointing at it. */
export async function stopInstance(deps: InstanceOperationDeps, id: string): Promise<Instance> {
  const instance = await liveInstance(deps, id);
  await deps.docker.stopContainer(containerOf(instance), deps.stopTimeoutSeconds ?? 10);
  return updateInstance(deps.db, id, { status: "stopped", stoppedAt: new Date() });
}

/** Starts a stopped instance's container again. */
export async function startInstance(deps: InstanceOperationDeps, id: string): Promise<Instance> {
  const instance = await liveInstance(deps, id);
  await deps.docker.startContainer(containerOf(instance));
  return updateInstance(deps.db, id, { status: "running", stoppedAt: null });
}

/** Stops and starts the instance's container. */
export async function restartInstance(deps: InstanceOperationDeps, id: string): Promise<Instance> {
  const instance = await liveInstance(deps, id);
  await deps.docker.stopContainer(containerOf(instance), deps.stopTimeoutSeconds ?? 10);
  await deps.docker.startContainer(containerOf(instance));
  return updateInstance(deps.db, id, { status: "running", stoppedAt: null });
}

/**
 * Removes the instance's container. NOTE: a proxy host pointing at it is left in place;
 * the next deploy of the stage switches it.
 */
export async function removeInstance(deps: InstanceOperationDeps, id: string): Promise<Instance> {
  const instance = await liveInstance(deps, id);
  await deps.docker.removeContainer(containerOf(instance));
  return updateInstance(deps.db, id, { status: "removed", stoppedAt: new Date() });
}

async function liveInstance(deps: InstanceOperationDeps, id: string): Promise<Instance> {
  const instance = await getInstance(deps.db, id);
  if (instance.status === "removed") {
    throw new OperationError("conflict", `instance ${id} was removed: nothing to operate on`);
  }
  return instance;
}

function containerOf(instance: Instance): string {
  return instance.containerId ?? instance.containerName;
}

async function requireStage(db: Database, stageId: string) {
  if (!UUID_PATTERN.test(stageId)) {
    throw new OperationError("invalid", `stage ${stageId} not found: check the stage id`);
  }
  const [stage] = await db.select().from(stages).where(eq(stages.id, stageId));
  if (!stage) {
    throw new OperationError("invalid", `stage ${stageId} not found: check the stage id`);
  }
  return stage;
}
