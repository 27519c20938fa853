/**
 * Live updates over server-sent events. `EventSource` reconnects by itself and resends the
 * last event id, so the server can resume where the stream broke.
 */
import { apiUrl } from "./api/client.js";
import type { Deploy, DeployLogLine, Instance } from "./types.js";

/** Event names the dashboard reacts to on `/api/v1/events`. */
export const LIVE_EVENT_TYPES = ["deploy", "instance", "candidate", "poll_error"] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

export type LiveEvent =
  | { type: "deploy"; deploy: Deploy }
  | { type: "instance"; instance: Instance }
  | { type: "candidate"; deploy: Deploy }
  | { type: "poll_error"; stageId: string; message: string };

export type ConnectionState = "connecting" | "open" | "closed";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Reads one event's data. The payload is either the object itself (`data: {deploy fields}`)
 * or wrapped by its type (`data: {"deploy": {...}}`); both work. Returns `undefined` for data
 * that is not JSON or lacks what the type needs.
 */
export function parseLiveEvent(type: string, data: string): LiveEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) {
    return undefined;
  }
  const inner = isRecord(value[type]) ? value[type] : value;
  switch (type) {
    case "deploy":
      return typeof inner.id === "string" && typeof inner.status === "string"
        ? { type, deploy: inner as unknown as Deploy }
        : undefined;
    case "instance":
      return typeof inner.id === "string" && typeof inner.status === "string"
        ? { type, instance: inner as unknown as Instance }
        : undefined;
    case "candidate": {
      // A candidate arrives as the deploy it created, waiting for approval or queued.
      const deploy = isRecord(value.deploy) ? value.deploy : inner;
      return typeof deploy.id === "string" && typeof deploy.stageId === "string"
        ? { type, deploy: deploy as unknown as Deploy }
        : undefined;
    }
    case "poll_error":
      return typeof inner.stageId === "string"
        ? { type, stageId: inner.stageId, message: String(inner.message ?? inner.error ?? "") }
        : undefined;
    default:
      return undefined;
  }
}

/** Reads one deploy log line; `undefined` when the data is not a log line. */
export function parseLogLine(data: string, lastEventId: string): DeployLogLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || typeof value.message !== "string") {
    return undefined;
  }
  const id = typeof value.id === "number" ? value.id : Number(lastEventId);
  return {
    id: Number.isFinite(id) ? id : 0,
    at: typeof value.at === "string" ? value.at : new Date().toISOString(),
    level:
      value.level === "warn" || value.level === "error" || value.level === "debug"
        ? value.level
        : "info",
    step: typeof value.step === "string" ? value.step : null,
    message: value.message,
  };
}

export interface Subscription {
  close(): void;
}

/** Follows `/api/v1/events`, calling `onEvent` for each event the dashboard understands. */
export function followLiveEvents(
  onEvent: (event: LiveEvent) => void,
  onState: (state: ConnectionState) => void,
): Subscription {
  const source = new EventSource(apiUrl("/events"), { withCredentials: true });
  onState("connecting");
  source.onopen = () => onState("open");
  source.onerror = () =>
    onState(source.readyState === EventSource.CLOSED ? "closed" : "connecting");
  for (const type of LIVE_EVENT_TYPES) {
    source.addEventListener(type, (message) => {
      const event = parseLiveEvent(type, (message as MessageEvent<string>).data);
      if (event) {
        onEvent(event);
      }
    });
  }
  return { close: () => source.close() };
}

export interface LogHandlers {
  onLine(line: DeployLogLine): void;
  /** The deploy ended; the stream sends `end` with the final deploy, then closes. */
  onEnd(deploy: Deploy | undefined): void;
  onState(state: ConnectionState): void;
}

/**
 * Follows a deploy's log: the lines so far, then new ones until the deploy ends. Lines come as
 * unnamed events or events named `log`; the end as an event named `end` (or `done`).
 */
export function followDeployLog(deployId: string, handlers: LogHandlers): Subscription {
  const source = new EventSource(apiUrl(`/deploys/${deployId}/logs`), { withCredentials: true });
  handlers.onState("connecting");
  source.onopen = () => handlers.onState("open");
  source.onerror = () => {
    handlers.onState(source.readyState === EventSource.CLOSED ? "closed" : "connecting");
  };
  const onLog = (message: MessageEvent<string>) => {
    const line = parseLogLine(message.data, message.lastEventId);
    if (line) {
      handlers.onLine(line);
    }
  };
  const onEnd = (message: MessageEvent<string>) => {
    source.close();
    const event = parseLiveEvent("deploy", message.data);
    handlers.onEnd(event?.type === "deploy" ? event.deploy : undefined);
    handlers.onState("closed");
  };
  source.onmessage = onLog;
  source.addEventListener("log", (message) => onLog(message as MessageEvent<string>));
  source.addEventListener("end", (message) => onEnd(message as MessageEvent<string>));
  source.addEventListener("done", (message) => onEnd(message as MessageEvent<string>));
  return { close: () => source.close() };
}
