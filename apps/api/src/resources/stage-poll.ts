/** Joins each stage with its poll status, so a client sees why a stage is backing off. */
import { type Executor, listPollStatus, type PollStatus, type Stage } from "@berth/store";

export type StageWithPoll = Stage & { poll: Omit<PollStatus, "stageId"> | null };

/** Adds `poll` to each stage: its poll status, or null when the poller has not claimed it yet. */
export async function withPollStatus(
  db: Executor,
  stages: readonly Stage[],
): Promise<StageWithPoll[]> {
  const statuses = await listPollStatus(
    db,
    stages.map((stage) => stage.id),
  );
  const byStage = new Map(statuses.map(({ stageId, ...status }) => [stageId, status]));
  return stages.map((stage) => ({ ...stage, poll: byStage.get(stage.id) ?? null }));
}

/** Adds `poll` to one stage. */
export async function stageWithPoll(db: Executor, stage: Stage): Promise<StageWithPoll> {
  const [status] = await listPollStatus(db, [stage.id]);
  if (!status) {
    return { ...stage, poll: null };
  }
  const { stageId: _stageId, ...poll } = status;
  return { ...stage, poll };
}
