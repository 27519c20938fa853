import { type Executor, insertAuditEntry } from "@berth/store";
import { describePrincipal, type Principal } from "./principal.js";

/** The row a change touched. */
export interface AuditTarget {
  type: string;
  id: string;
}

/**
 * Writes one `audit_log` entry for a change made by `principal`, or by Berth itself when it
 * is `"system"`. `details` must hold no secret: pass names and ids, never passwords or tokens.
 */
export async function audit(
  db: Executor,
  principal: Principal | "system",
  action: string,
  target?: AuditTarget,
  details?: Record<string, unknown>,
): Promise<void> {
  const actor =
    principal === "system"
      ? { actorType: "system" as const, actorId: null, actorName: "berth" }
      : {
          actorType: principal.type,
          actorId: principal.type === "token" ? principal.tokenId : principal.userId,
          actorName: describePrincipal(principal),
        };
  await insertAuditEntry(db, {
    ...actor,
    action,
    targetType: target?.type,
    targetId: target?.id,
    details,
  });
}
