import { and, asc, eq, gt } from "drizzle-orm";
import { deployLogs, type LogLevel } from "../schema.js";
import type { Executor } from "./candidates.js";
import { isUuid, withStoreErrors } from "./run.js";

export type DeployLogEntry = typeof deployLogs.$inferSelect;

export interface DeployLogInput {
  deployId: string;
  level?: LogLevel | undefined;
  step?: string | null | undefined;
  message: string;
  at?: Date | undefined;
}

/** Appends one line to a deploy's log and returns it with its id. */
export async function appendDeployLog(
  db: Executor,
  input: DeployLogInput,
): Promise<DeployLogEntry> {
  const [row] = await withStoreErrors(() =>
    db
      .insert(deployLogs)
      .values({
        deployId: input.deployId,
        level: input.level ?? "info",
        step: input.step ?? null,
        message: input.message,
        ...(input.at ? { at: input.at } : {}),
      })
      .returning(),
  );
  if (!row) {
    throw new Error(`deploy log line for ${input.deployId} was not stored`);
  }
  return row;
}

/**
 * Lists a deploy's log in order; with `afterId`, only the lines after it, so a live view
 * fetches what is new since its last line.
 */
export async function listDeployLogs(
  db: Executor,
  deployId: string,
  afterId = 0,
): Promise<DeployLogEntry[]> {
  if (!isUuid(deployId)) {
    return [];
  }
  return withStoreErrors(() =>
    db
      .select()
      .from(deployLogs)
      .where(and(eq(deployLogs.deployId, deployId), gt(deployLogs.id, afterId)))
      .orderBy(asc(deployLogs.id)),
  );
}
