import { desc, lt } from "drizzle-orm";
import { auditLog } from "../schema.js";
import type { Executor } from "./candidates.js";

export type AuditActorType = "user" | "token" | "system";

/** One change made through the API or by Berth itself. */
export interface AuditEntryInput {
  actorType: AuditActorType;
  actorId: string | null;
  actorName: string;
  /** Action name as `resource.verb`, e.g. `user.create` or `token.revoke`. */
  action: string;
  targetType?: string | undefined;
  targetId?: string | undefined;
  /** Non-secret facts about the change; never a password, token or secret value. */
  details?: Record<string, unknown> | undefined;
}

export type AuditEntry = typeof auditLog.$inferSelect;

export async function insertAuditEntry(db: Executor, entry: AuditEntryInput): Promise<void> {
  await db.insert(auditLog).values({
    actorType: entry.actorType,
    actorId: entry.actorId,
    actorName: entry.actorName,
    action: entry.action,
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    details: entry.details ?? {},
  });
}

/** Lists entries newest first; `before` is the id of the last entry of the previous page. */
export async function listAuditEntries(
  db: Executor,
  options: { limit: number; before?: number | undefined },
): Promise<AuditEntry[]> {
  const query = db.select().from(auditLog);
  const filtered =
    options.before === undefined ? query : query.where(lt(auditLog.id, options.before));
  return filtered.orderBy(desc(auditLog.id)).limit(options.limit);
}
