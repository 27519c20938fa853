import { sql } from "drizzle-orm";
import type { Database } from "../database.js";
import { deploys } from "../schema.js";

/** A database or an open transaction: queries that must join a caller's transaction take this. */
export type Executor = Pick<Database, "select" | "insert" | "update" | "delete" | "execute">;

export interface CandidateInput {
  stageId: string;
  tag: string;
  digest: string;
  trigger: "poll" | "webhook";
  /** Auto-deploy stages queue the deploy; the others leave it waiting for approval. */
  autoDeploy: boolean;
}

/**
 * Records a candidate as a deploy row, queued or pending approval. Returns the new deploy's
 * id, or `null` when a deploy of this stage, tag and digest already came from the poller or
 * a webhook: the unique key `deploys_candidate_key` turns the second of two racing
 * detections into a no-op.
 */
export async function insertCandidate(
  db: Executor,
  candidate: CandidateInput,
): Promise<string | null> {
  const rows = await db
    .insert(deploys)
    .values({
      stageId: candidate.stageId,
      tag: candidate.tag,
      digest: candidate.digest,
      trigger: candidate.trigger,
      status: candidate.autoDeploy ? "queued" : "pending_approval",
    })
    .onConflictDoNothing({
      target: [deploys.stageId, deploys.tag, deploys.digest],
      where: sql`${deploys.trigger} in ('poll', 'webhook')`,
    })
    .returning({ id: deploys.id });
  return rows[0]?.id ?? null;
}
