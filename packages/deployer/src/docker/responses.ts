/**
 * Reading Engine API response bodies into Berth's types. dockerode returns whatever the
 * engine sent (a `Buffer` when the body is not JSON), so every field is checked here: a
 * missing required field raises `InvalidResponseError`, and an optional field of the wrong
 * type reads as absent.
 */
import type {
  ContainerHealth,
  ContainerState,
  ContainerSummary,
  ImageHealthcheck,
  ImageInfo,
} from "./types.js";

/** The engine's response body lacks a field Berth needs, or has it with the wrong type. */
export class InvalidResponseError extends Error {
  override readonly name = "InvalidResponseError";
}

type Fields = Record<string, unknown>;

const NANOSECONDS_PER_MS = 1_000_000;

/** Reads `GET /containers/{id}/json`. */
export function parseContainerState(body: unknown): ContainerState {
  const info = requireObject(body, "container inspect");
  const state = requireObject(info.State, "State");
  const config = objectOf(info.Config);
  return {
    id: requireString(info.Id, "Id"),
    name: (stringOf(info.Name) ?? "").replace(/^\//, ""),
    status: requireString(state.Status, "State.Status"),
    running: requireBoolean(state.Running, "State.Running"),
    exitCode: numberOf(state.ExitCode) ?? 0,
    restartCount: numberOf(info.RestartCount) ?? 0,
    health: parseHealth(objectOf(state.Health)),
    labels: stringRecordOf(config?.Labels),
    ports: parsePorts(objectOf(objectOf(info.NetworkSettings)?.Ports)),
  };
}

function parsePorts(raw: Fields | undefined): ContainerState["ports"] {
  const ports: ContainerState["ports"] = {};
  for (const [key, bindings] of Object.entries(raw ?? {})) {
    const first = Array.isArray(bindings) ? objectOf(bindings[0]) : undefined;
    const hostPort = Number(stringOf(first?.HostPort) ?? Number.NaN);
    ports[key] =
      first && Number.isInteger(hostPort) && hostPort > 0
        ? { hostIp: stringOf(first.HostIp) ?? "", hostPort }
        : undefined;
  }
  return ports;
}

function parseHealth(raw: Fields | undefined): ContainerHealth | null {
  // Podman reports an empty status for containers without a healthcheck.
  const status = raw?.Status;
  if (status !== "starting" && status !== "healthy" && status !== "unhealthy") {
    return null;
  }
  const log = Array.isArray(raw?.Log) ? raw.Log : [];
  const lastOutput = stringOf(objectOf(log.at(-1))?.Output)?.trim();
  return { status, failingStreak: numberOf(raw?.FailingStreak) ?? 0, lastOutput };
}

/** Reads `GET /images/{name}/json`. */
export function parseImageInfo(body: unknown): ImageInfo {
  const info = requireObject(body, "image inspect");
  const config = objectOf(info.Config);
  const repoDigests = Array.isArray(info.RepoDigests) ? info.RepoDigests : [];
  return {
    id: requireString(info.Id, "Id"),
    repoDigests: repoDigests.filter((entry): entry is string => typeof entry === "string"),
    exposedPorts: Object.keys(objectOf(config?.ExposedPorts) ?? {}).filter((key) =>
      /^\d+\/(tcp|udp|sctp)$/.test(key),
    ),
    labels: stringRecordOf(config?.Labels),
    healthcheck: parseImageHealthcheck(objectOf(config?.Healthcheck)),
  };
}

/**
 * Reads the image's HEALTHCHECK. NOTE: podman 4.3 leaves `Config.Healthcheck` out of its
 * Docker-compatible image inspect, so on podman this is `null` and the gate uses the stage's
 * HTTP check. The container's own health status still fails the gate when it turns unhealthy.
 */
function parseImageHealthcheck(config: Fields | undefined): ImageHealthcheck | null {
  const test = Array.isArray(config?.Test) ? config.Test : [];
  if (test.length === 0 || test[0] === "NONE" || !test.every((part) => typeof part === "string")) {
    return null;
  }
  // Zero or absent means "inherit", which is the engine's default: 30 s interval and
  // timeout, 3 retries. Durations arrive in nanoseconds.
  const durationMs = (value: unknown, fallbackMs: number) => {
    const nanoseconds = positiveOf(value);
    return nanoseconds === undefined ? fallbackMs : nanoseconds / NANOSECONDS_PER_MS;
  };
  return {
    test,
    intervalMs: durationMs(config?.Interval, 30_000),
    timeoutMs: durationMs(config?.Timeout, 30_000),
    startPeriodMs: durationMs(config?.StartPeriod, 0),
    retries: Math.round(positiveOf(config?.Retries) ?? 3),
  };
}

/** Reads the `Id` of `POST /containers/create`. */
export function parseCreatedId(body: unknown): string {
  return requireString(requireObject(body, "container create").Id, "Id");
}

/** Reads `GET /containers/json`. */
export function parseContainerList(body: unknown): ContainerSummary[] {
  if (!Array.isArray(body)) {
    throw new InvalidResponseError(
      `the container list is ${describeValue(body)}, not a JSON array`,
    );
  }
  return body.map((entry, index) => {
    const row = requireObject(entry, `container list entry ${index}`);
    const names = Array.isArray(row.Names) ? row.Names : [];
    return {
      id: requireString(row.Id, `entry ${index} Id`),
      name: (stringOf(names[0]) ?? "").replace(/^\//, ""),
      labels: stringRecordOf(row.Labels),
      state: stringOf(row.State) ?? "",
    };
  });
}

function requireObject(value: unknown, subject: string): Fields {
  const fields = objectOf(value);
  if (!fields) {
    throw new InvalidResponseError(`the ${subject} is ${describeValue(value)}, not a JSON object`);
  }
  return fields;
}

function requireString(value: unknown, field: string): string {
  const text = stringOf(value);
  if (text === undefined || text === "") {
    throw new InvalidResponseError(`the field ${field} is ${describeValue(value)}, not a string`);
  }
  return text;
}

function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") {
    throw new InvalidResponseError(`the field ${field} is ${describeValue(value)}, not a boolean`);
  }
  return value;
}

function objectOf(value: unknown): Fields | undefined {
  const isObject =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value);
  return isObject ? (value as Fields) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function positiveOf(value: unknown): number | undefined {
  const number = numberOf(value);
  return number !== undefined && number > 0 ? number : undefined;
}

/** Keeps the entries whose values are strings; labels of another type are not labels. */
function stringRecordOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, entry] of Object.entries(objectOf(value) ?? {})) {
    if (typeof entry === "string") labels[key] = entry;
  }
  return labels;
}

/** Names what arrived instead, without pasting a possibly huge value into the message. */
function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (ArrayBuffer.isView(value)) return "text that is not JSON";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
