import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { notFound } from "../errors.js";
import { type InstanceStatus, instances } from "../schema.js";
import type { Executor } from "./candidates.js";
import { requireUuid, withStoreErrors } from "./run.js";

export type Instance = typeof instances.$inferSelect;
export type InstanceInput = Omit<typeof instances.$inferInsert, "id" | "createdAt" | "updatedAt">;
export type InstancePatch = Partial<Omit<InstanceInput, "stageId">>;

/** Statuses of an instance whose container may still exist. */
export const LIVE_INSTANCE_STATUSES = [
  "starting",
  "running",
  "stopped",
] as const satisfies readonly InstanceStatus[];

/** Records an instance before its container is created, so recovery can find it. */
export async function insertInstance(db: Executor, input: InstanceInput): Promise<Instance> {
  const [row] = await withStoreErrors(() => db.insert(instances).values(input).returning());
  if (!row) {
    throw notFound("stage", input.stageId);
  }
  return row;
}

/** Changes an instance and returns it. */
export async function updateInstance(
  db: Executor,
  id: string,
  patch: InstancePatch,
): Promise<Instance> {
  requireUuid("instance", id);
  const [row] = await withStoreErrors(() =>
    db
      .update(instances)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(instances.id, id))
      .returning(),
  );
  if (!row) {
    throw notFound("instance", id);
  }
  return row;
}

/** Reads one instance. */
export async function getInstance(db: Executor, id: string): Promise<Instance> {
  requireUuid("instance", id);
  const [row] = await withStoreErrors(() =>
    db.select().from(instances).where(eq(instances.id, id)),
  );
  if (!row) {
    throw notFound("instance", id);
  }
  return row;
}

/** Lists a stage's instances whose container may exist, oldest first. */
export async function listLiveInstances(db: Executor, stageId?: string): Promise<Instance[]> {
  const live = inArray(instances.status, [...LIVE_INSTANCE_STATUSES]);
  return withStoreErrors(() =>
    db
      .select()
      .from(instances)
      .where(stageId === undefined ? live : and(live, eq(instances.stageId, stageId)))
      .orderBy(asc(instances.createdAt)),
  );
}

/** Lists the instances a deploy created, whatever their status. */
export async function listDeployInstances(db: Executor, deployId: string): Promise<Instance[]> {
  return withStoreErrors(() => db.select().from(instances).where(eq(instances.deployId, deployId)));
}

/** True when an instance of the stage ever pointed at this proxy host: Berth made it. */
export async function stageOwnsProxyHost(
  db: Executor,
  stageId: string,
  proxyHostId: number,
): Promise<boolean> {
  const rows = await withStoreErrors(() =>
    db
      .select({ id: instances.id })
      .from(instances)
      .where(and(eq(instances.stageId, stageId), eq(instances.proxyHostId, proxyHostId)))
      .limit(1),
  );
  return rows.length > 0;
}

/** Lists instances not yet removed whose container has this name. */
export async function findInstanceByContainerName(
  db: Executor,
  containerName: string,
): Promise<Instance | null> {
  const [row] = await withStoreErrors(() =>
    db
      .select()
      .from(instances)
      .where(and(eq(instances.containerName, containerName), ne(instances.status, "removed"))),
  );
  return row ?? null;
}
