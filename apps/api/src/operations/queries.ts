/** Reads the operations routes need that the store has no query for: filtered, paged lists. */
import {
  type Database,
  type Deploy,
  type DeployStatus,
  type DeployTrigger,
  deploys,
  type Instance,
  type InstanceStatus,
  instances,
  stages,
} from "@berth/store";
import { and, desc, eq, inArray, lt, or, type SQL } from "drizzle-orm";
import { ApiError } from "../http/errors.js";

export interface DeployFilter {
  stageId?: string | undefined;
  projectId?: string | undefined;
  status?: DeployStatus | undefined;
  trigger?: DeployTrigger | undefined;
  limit: number;
  before?: string | undefined;
}

/** Lists deploys newest first. `nextCursor` is set when more rows follow. */
export async function listDeploys(
  db: Database,
  filter: DeployFilter,
): Promise<{ deploys: Deploy[]; nextCursor: string | null }> {
  const conditions: SQL[] = [];
  if (filter.stageId) {
    conditions.push(eq(deploys.stageId, filter.stageId));
  }
  if (filter.projectId) {
    conditions.push(inArray(deploys.stageId, stageIdsOf(db, filter.projectId)));
  }
  if (filter.status) {
    conditions.push(eq(deploys.status, filter.status));
  }
  if (filter.trigger) {
    conditions.push(eq(deploys.trigger, filter.trigger));
  }
  if (filter.before) {
    const cursor = decodeCursor(filter.before);
    const older = or(
      lt(deploys.createdAt, cursor.createdAt),
      and(eq(deploys.createdAt, cursor.createdAt), lt(deploys.id, cursor.id)),
    );
    if (older) {
      conditions.push(older);
    }
  }

  const rows = await db
    .select()
    .from(deploys)
    .where(and(...conditions))
    .orderBy(desc(deploys.createdAt), desc(deploys.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    deploys: page,
    nextCursor: rows.length > filter.limit && last ? encodeCursor(last) : null,
  };
}

export async function listInstances(
  db: Database,
  filter: {
    stageId?: string | undefined;
    projectId?: string | undefined;
    status?: InstanceStatus | undefined;
  },
): Promise<Instance[]> {
  const conditions: SQL[] = [];
  if (filter.stageId) {
    conditions.push(eq(instances.stageId, filter.stageId));
  }
  if (filter.projectId) {
    conditions.push(inArray(instances.stageId, stageIdsOf(db, filter.projectId)));
  }
  if (filter.status) {
    conditions.push(eq(instances.status, filter.status));
  }
  return db
    .select()
    .from(instances)
    .where(and(...conditions))
    .orderBy(desc(instances.createdAt));
}

function stageIdsOf(db: Database, projectId: string) {
  return db.select({ id: stages.id }).from(stages).where(eq(stages.projectId, projectId));
}

function encodeCursor(deploy: Deploy): string {
  return Buffer.from(`${deploy.createdAt.toISOString()}|${deploy.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [time, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(time ?? "");
  if (!id || Number.isNaN(createdAt.getTime())) {
    throw new ApiError(
      "validation_failed",
      `cursor "${cursor}" is not one this API gave: pass the nextCursor of the previous page`,
      { details: { issues: [{ path: "before", message: "unknown cursor" }] } },
    );
  }
  return { createdAt, id };
}
