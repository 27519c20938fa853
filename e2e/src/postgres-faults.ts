/**
 * Means to put Berth's Postgres in a known state before a fault: hold a table lock so Berth
 * blocks on a chosen statement, see that it does, and sample `/health` meanwhile.
 */
import postgres from "postgres";
import { waitFor } from "./wait.js";

/** An open transaction holding `ACCESS EXCLUSIVE` on a table; a server restart ends it. */
export interface TableLock {
  release(): Promise<void>;
}

/** Locks `table` in `databaseUrl` until `release()` or until the server closes the session. */
export async function lockTable(databaseUrl: string, table: string): Promise<TableLock> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let unlock = () => {};
  const held = new Promise<void>((resolve) => {
    unlock = resolve;
  });
  let transaction: Promise<unknown> = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
    transaction = sql
      .begin(async (tx) => {
        await tx.unsafe(`lock table "${table}" in access exclusive mode`);
        resolve();
        await held;
      })
      .catch(reject);
  });
  return {
    async release() {
      // After a server restart the commit fails, which is fine: the lock went with the session.
      unlock();
      await transaction.catch(() => undefined);
      await sql.end({ timeout: 1 });
    },
  };
}

/**
 * Waits until a session of `databaseUrl` waits on a lock while running a statement that
 * starts with `statementStart` (case-insensitive), e.g. `insert into "deploys"`.
 */
export async function waitForLockWaiter(
  databaseUrl: string,
  statementStart: string,
  timeoutMs = 30_000,
): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await waitFor(
      `a session blocked on a lock while running ${statementStart}`,
      async () => {
        const rows = await sql`
          select pid from pg_stat_activity
          where wait_event_type = 'Lock' and lower(query) like ${`${statementStart.toLowerCase()}%`}`;
        return rows.length > 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** One response of `GET /api/v1/health`, with status 0 when the request itself failed. */
export interface HealthSample {
  status: number;
  reachable: boolean | undefined;
  /** `Date.now()` when the request was sent. */
  sentAt: number;
}

/** A running sampler of Berth's health route. */
export interface HealthWatch {
  /**
   * Stops once a request sent after this call returns 200, or after `timeoutMs`, and returns
   * every sample. Requests still in flight at the call may return 503 after Berth recovered,
   * so only the later ones show whether it stays up.
   */
  stopWhenHealthy(timeoutMs?: number): Promise<{ samples: HealthSample[]; since: number }>;
}

/** Samples Berth's health route every 100 ms until `stopWhenHealthy` ends it. */
export function watchHealth(berthUrl: string): HealthWatch {
  const samples: HealthSample[] = [];
  let watching = true;
  const loop = (async () => {
    while (watching) {
      samples.push(await sampleHealth(berthUrl));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stopWhenHealthy(timeoutMs = 10_000) {
      const since = Date.now();
      const healthyAfter = () => samples.some((s) => s.sentAt >= since && s.status === 200);
      while (!healthyAfter() && Date.now() < since + timeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      watching = false;
      await loop;
      return { samples, since };
    },
  };
}

async function sampleHealth(berthUrl: string): Promise<HealthSample> {
  const sentAt = Date.now();
  try {
    const response = await fetch(`${berthUrl}/api/v1/health`, {
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as { database?: { reachable?: boolean } };
    return { status: response.status, reachable: body.database?.reachable, sentAt };
  } catch {
    return { status: 0, reachable: undefined, sentAt };
  }
}

/** One JSON line of Berth's pino log. */
export interface LogLine {
  level: number;
  msg: string;
  error?: string;
  [field: string]: unknown;
}

/** Parses Berth's output into log lines, skipping anything that is not a JSON object. */
export function parseLog(output: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of output.split("\n")) {
    if (!text.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // A line cut by the process exit.
    }
  }
  return lines;
}

/** Index of the first line at or after `from` with message `msg`, or -1. */
export function findLog(lines: readonly LogLine[], msg: string, from = 0): number {
  const index = lines.slice(from).findIndex((line) => line.msg === msg);
  return index === -1 ? -1 : from + index;
}
