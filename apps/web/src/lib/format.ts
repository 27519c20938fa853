import type { DeployStatus, PollStatus } from "./types.js";

/** `sha256:0123456789ab…` → `0123456789ab`, the form people compare by eye. */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) {
    return "—";
  }
  const hex = digest.includes(":") ? digest.slice(digest.indexOf(":") + 1) : digest;
  return hex.slice(0, 12);
}

/** Age of a timestamp in the largest whole unit: `45s`, `12m`, `3h`, `5d`. */
export function age(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) {
    return "—";
  }
  const seconds = Math.max(0, Math.round((now.getTime() - new Date(iso).getTime()) / 1000));
  if (Number.isNaN(seconds)) {
    return "—";
  }
  if (seconds < 60) {
    return `${seconds}s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m`;
  }
  if (seconds < 86_400) {
    return `${Math.floor(seconds / 3600)}h`;
  }
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Local date and time for tables and logs. */
export function dateTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/**
 * Says why a stage's polling backs off and when it tries again, or returns null when the
 * last poll succeeded.
 */
export function pollBackoffNotice(poll: PollStatus | null): string | null {
  if (!poll?.lastError) {
    return null;
  }
  const times = poll.failureStreak === 1 ? "once" : `${poll.failureStreak} times in a row`;
  return `Polling failed ${times}: ${poll.lastError}. Next attempt at ${dateTime(poll.nextDueAt)}.`;
}

const STATUS_LABELS: Record<DeployStatus, string> = {
  pending_approval: "waiting for approval",
  queued: "queued",
  running: "deploying",
  succeeded: "succeeded",
  failed: "failed",
  rolled_back: "rolled back",
  cancelled: "cancelled",
  rejected: "rejected",
};

export function statusLabel(status: DeployStatus): string {
  return STATUS_LABELS[status];
}

/** Deploys in these states are over: their log is complete and no action changes them. */
export const FINISHED_STATUSES: ReadonlySet<DeployStatus> = new Set([
  "succeeded",
  "failed",
  "rolled_back",
  "cancelled",
  "rejected",
]);
