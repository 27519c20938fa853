import type { Database } from "@berth/store";
import type { Logger } from "pino";
import { type BerthEvent, eventKey, readChanges } from "./changes.js";

export interface EventHubOptions {
  db: Database;
  logger?: Logger | undefined;
  /** How often the tables are read while anyone listens. Default 1000 ms. */
  intervalMs?: number | undefined;
  /**
   * How far back each read reaches before the last one. Rows carry the writing process's
   * clock and commit a moment after it, so a row of another process can appear with a time
   * just before the last read. The overlap catches it, and the seen keys drop repeats.
   */
  overlapMs?: number | undefined;
}

export type Listener = (event: BerthEvent) => void;

/** One reader of the tables per process, shared by every `/events` connection. */
export interface EventHub {
  /**
   * Starts reading while it has listeners and returns the function that unsubscribes. `onClose`
   * runs when the hub closes, so open streams end and shutdown does not wait for them.
   */
  subscribe(listener: Listener, onClose?: () => void): () => void;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** Events after `since`, for a client that resumes with `Last-Event-ID`. */
  replay(since: Date): Promise<BerthEvent[]>;
  /** Stops reading after the pending read finishes. */
  close(): Promise<void>;
}

export function createEventHub(options: EventHubOptions): EventHub {
  const intervalMs = options.intervalMs ?? 1000;
  const overlapMs = options.overlapMs ?? 5000;
  const listeners = new Set<Listener>();
  const closers = new Set<() => void>();
  let seen = new Map<string, number>();
  let cursor = new Date();
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let closed = false;

  const read = async () => {
    const since = new Date(cursor.getTime() - overlapMs);
    const events = await readChanges(options.db, since);
    for (const event of events) {
      const key = eventKey(event);
      if (seen.has(key)) {
        continue;
      }
      seen.set(key, event.at.getTime());
      if (event.at > cursor) {
        cursor = event.at;
      }
      for (const listener of listeners) {
        listener(event);
      }
    }
    seen = forget(seen, since.getTime() - overlapMs);
  };

  const schedule = () => {
    if (closed || listeners.size === 0 || timer) {
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      reading = read()
        .catch((error: unknown) => options.logger?.warn({ err: error }, "cannot read events"))
        .finally(() => {
          reading = undefined;
          schedule();
        });
    }, intervalMs);
  };

  return {
    subscribe(listener, onClose) {
      if (listeners.size === 0) {
        cursor = new Date();
      }
      listeners.add(listener);
      if (onClose) {
        closers.add(onClose);
      }
      schedule();
      return () => {
        listeners.delete(listener);
        if (onClose) {
          closers.delete(onClose);
        }
      };
    },
    get closed() {
      return closed;
    },
    replay: (since) => readChanges(options.db, since),
    async close() {
      closed = true;
      for (const onClose of closers) {
        onClose();
      }
      clearTimeout(timer);
      timer = undefined;
      await reading;
    },
  };
}

/** Keeps the keys of events newer than `before`, so the map does not grow without end. */
function forget(seen: Map<string, number>, before: number): Map<string, number> {
  return new Map([...seen].filter(([, at]) => at >= before));
}
