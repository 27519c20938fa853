import type { Deploy, Instance, Stage } from "./types.js";

export type StageState =
  | "waiting_for_approval"
  | "deploying"
  | "failed"
  | "up_to_date"
  | "not_deployed";

export interface StageSummary {
  stage: Stage;
  state: StageState;
  /** Instances that are not removed, newest first. */
  instances: Instance[];
  /** The newest deploy of the stage, whatever its status. */
  latest: Deploy | undefined;
  /** The newest deploy waiting for approval. */
  pending: Deploy | undefined;
}

const byNewest = (a: { createdAt: string }, b: { createdAt: string }) =>
  b.createdAt.localeCompare(a.createdAt);

/**
 * Decides what the overview shows for a stage. A deploy in progress wins, then one waiting
 * for approval, then the newest finished deploy: failed or rolled back reads as failed,
 * anything else with a running instance as up to date.
 */
export function summariseStage(
  stage: Stage,
  deploys: readonly Deploy[],
  instances: readonly Instance[],
): StageSummary {
  const own = deploys.filter((deploy) => deploy.stageId === stage.id).sort(byNewest);
  const live = instances
    .filter((instance) => instance.stageId === stage.id && instance.status !== "removed")
    .sort(byNewest);
  const pending = own.find((deploy) => deploy.status === "pending_approval");
  const latest = own[0];
  return { stage, state: stateOf(own, live, pending), instances: live, latest, pending };
}

function stateOf(
  own: readonly Deploy[],
  live: readonly Instance[],
  pending: Deploy | undefined,
): StageState {
  if (own.some((deploy) => deploy.status === "running" || deploy.status === "queued")) {
    return "deploying";
  }
  if (pending) {
    return "waiting_for_approval";
  }
  const finished = own.find(
    (deploy) => deploy.status !== "rejected" && deploy.status !== "cancelled",
  );
  if (finished && (finished.status === "failed" || finished.status === "rolled_back")) {
    return "failed";
  }
  return live.some((instance) => instance.status === "running") ? "up_to_date" : "not_deployed";
}

export const STATE_LABELS: Record<StageState, string> = {
  waiting_for_approval: "waiting for approval",
  deploying: "deploying",
  failed: "failed",
  up_to_date: "up to date",
  not_deployed: "not deployed",
};

/** Replaces the item with the same id, or adds it at the front. */
export function upsert<T extends { id: string }>(items: readonly T[], item: T): T[] {
  const index = items.findIndex((existing) => existing.id === item.id);
  if (index === -1) {
    return [item, ...items];
  }
  const copy = [...items];
  copy[index] = item;
  return copy;
}
