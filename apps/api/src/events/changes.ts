/**
 * Reads what changed in the tables since a time. Every Berth process writes its changes to
 * the shared database, so reading the tables finds the changes of every process without
 * triggers or LISTEN/NOTIFY, and the same code runs on the embedded database.
 */
import {
  type Database,
  type Deploy,
  deploys,
  type Instance,
  instances,
  pollState,
} from "@berth/store";
import { and, asc, gt, isNotNull } from "drizzle-orm";

export type BerthEvent =
  | { type: "deploy"; at: Date; deploy: Deploy }
  | { type: "candidate"; at: Date; deploy: Deploy }
  | { type: "instance"; at: Date; instance: Instance }
  | { type: "poll_error"; at: Date; stageId: string; error: string; failureStreak: number };

/**
 * Maximum rows of one table per read. The rest come with the next read.
 * NOTE: `deploys.updated_at` and `instances.updated_at` have no index, so each read scans both
 * tables: 30 ms median over 100,000 rows each on a 2-core machine, 4 ms with the indexes
 * (bench/events-read.ts).
 */
const BATCH = 500;

/** Returns the changes with a time after `since`, oldest first. */
export async function readChanges(db: Database, since: Date): Promise<BerthEvent[]> {
  const [deployRows, instanceRows, failures] = await Promise.all([
    db
      .select()
      .from(deploys)
      .where(gt(deploys.updatedAt, since))
      .orderBy(asc(deploys.updatedAt))
      .limit(BATCH),
    db
      .select()
      .from(instances)
      .where(gt(instances.updatedAt, since))
      .orderBy(asc(instances.updatedAt))
      .limit(BATCH),
    db
      .select({
        stageId: pollState.stageId,
        error: pollState.lastError,
        at: pollState.lastErrorAt,
        failureStreak: pollState.failureStreak,
      })
      .from(pollState)
      .where(and(isNotNull(pollState.lastErrorAt), gt(pollState.lastErrorAt, since)))
      .orderBy(asc(pollState.lastErrorAt))
      .limit(BATCH),
  ]);

  const events: BerthEvent[] = [];
  for (const deploy of deployRows) {
    events.push({ type: "deploy", at: deploy.updatedAt, deploy });
    if (isDetected(deploy) && deploy.createdAt > since) {
      events.push({ type: "candidate", at: deploy.updatedAt, deploy });
    }
  }
  for (const instance of instanceRows) {
    events.push({ type: "instance", at: instance.updatedAt, instance });
  }
  for (const failure of failures) {
    if (failure.at && failure.error) {
      events.push({
        type: "poll_error",
        at: failure.at,
        stageId: failure.stageId,
        error: failure.error,
        failureStreak: failure.failureStreak,
      });
    }
  }
  return events.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** A deploy the poller or a webhook created from a new tag. */
function isDetected(deploy: Deploy): boolean {
  return deploy.trigger === "poll" || deploy.trigger === "webhook";
}

/** A key that tells one version of a row from another, to drop repeats between checks. */
export function eventKey(event: BerthEvent): string {
  switch (event.type) {
    case "deploy":
      return `deploy:${event.deploy.id}:${event.at.getTime()}`;
    case "candidate":
      return `candidate:${event.deploy.id}`;
    case "instance":
      return `instance:${event.instance.id}:${event.at.getTime()}`;
    case "poll_error":
      return `poll_error:${event.stageId}:${event.at.getTime()}`;
  }
}
