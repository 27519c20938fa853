/**
 * Running one engine call: a deadline, and every failure turned into a `DockerError` that
 * names the call, the engine's own message and what to do.
 */
import { DockerError, messageOf } from "../errors.js";
import { InvalidResponseError } from "./responses.js";

/** The engine address and the call deadline, which error hints name. */
export interface CallTarget {
  /** The `DOCKER_HOST` value, e.g. `unix:///var/run/docker.sock`. */
  host: string;
  /** Deadline of one call, in milliseconds. */
  timeoutMs: number;
}

/** Maximum length of engine error text kept in a message, because a proxy may send a whole page. */
const MAX_ENGINE_MESSAGE = 300;

/**
 * Runs one engine call within `timeoutMs` (plus `extraMs`) and reads its body with `parse`.
 * The deadline also ends a call whose response broke off mid-body, because docker-modem
 * 5.0.7 never settles the promise of such a call.
 */
export async function call<T, R = T>(
  target: CallTarget,
  operation: string,
  run: () => Promise<T>,
  options: { parse?: (body: T) => R; extraMs?: number } = {},
): Promise<R> {
  let body: T;
  try {
    body = await withDeadline(run(), target.timeoutMs + (options.extraMs ?? 0));
  } catch (error) {
    throw toDockerError(target, operation, error);
  }
  if (!options.parse) {
    return body as unknown as R;
  }
  try {
    return options.parse(body);
  } catch (error) {
    if (error instanceof InvalidResponseError) {
      throw invalidResponse(target, operation, error);
    }
    throw error;
  }
}

/** Wraps a malformed response body in a `DockerError` for `operation`. */
function invalidResponse(
  target: CallTarget,
  operation: string,
  error: InvalidResponseError,
): DockerError {
  return new DockerError(
    operation,
    `the engine returned an invalid response: ${error.message}: check that ${target.host} is the API of a Docker or podman engine`,
    { cause: error },
  );
}

class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}

async function withDeadline<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new DeadlineError(`timed out after ${timeoutMs} ms without a complete response`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
    // The abandoned call may still reject later, and that rejection is ignored.
    promise.catch(() => undefined);
  }
}

interface DockerodeError {
  statusCode?: unknown;
  json?: unknown;
}

/** Turns what dockerode or the deadline threw into a `DockerError` with a hint. */
function toDockerError(target: CallTarget, operation: string, error: unknown): DockerError {
  if (error instanceof DockerError) {
    return error;
  }
  const raw = (typeof error === "object" && error !== null ? error : {}) as DockerodeError;
  const statusCode = typeof raw.statusCode === "number" ? raw.statusCode : undefined;
  if (statusCode === undefined) {
    const hint =
      error instanceof DeadlineError
        ? `check that the engine at ${target.host} is not overloaded, then retry`
        : `check that the engine runs at ${target.host}, then retry`;
    return new DockerError(operation, `${messageOf(error)}: ${hint}`, { cause: error });
  }

  const engineMessage = engineMessageOf(raw.json);
  const summary = engineMessage
    ? `the engine returned HTTP ${statusCode}: ${engineMessage}`
    : `the engine returned HTTP ${statusCode} without a message`;
  return new DockerError(operation, `${summary}: ${hintFor(statusCode, target.host)}`, {
    statusCode,
    cause: error,
  });
}

function hintFor(statusCode: number, host: string): string {
  if (statusCode === 400) return "check the stage's image, env, volumes and port";
  if (statusCode === 401 || statusCode === 403) {
    return `check that Berth may use the engine at ${host}`;
  }
  if (statusCode === 404) return "check that the image or container was not removed by hand";
  if (statusCode === 409) return "remove the conflicting container or network, then retry";
  if (statusCode >= 500) return `check the engine's log at ${host}, then retry`;
  return `check that ${host} is a Docker Engine API, then retry`;
}

/**
 * Reads the engine's `message` field. Without one, a short, single-line excerpt of a text body
 * is kept, e.g. the title of a proxy's error page.
 */
function engineMessageOf(json: unknown): string | undefined {
  let text: string | undefined;
  if (typeof json === "object" && json !== null && !ArrayBuffer.isView(json)) {
    const message = (json as { message?: unknown }).message;
    text = typeof message === "string" ? message : undefined;
  } else if (ArrayBuffer.isView(json)) {
    text = Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString("utf8");
  } else if (typeof json === "string") {
    text = json;
  }
  const line = text
    ?.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (!line) {
    return undefined;
  }
  return line.length > MAX_ENGINE_MESSAGE ? `${line.slice(0, MAX_ENGINE_MESSAGE)}…` : line;
}

/** Resolves to `null` when the engine reports the object missing. */
export async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (isNotFound(error)) {
      return null;
    }
    throw error;
  }
}

/**
 * True when the engine reports the object missing. Docker returns 404. Podman 4.3 also
 * returns 500 "… does not exist in database: no such container" for a container that is
 * being removed while it is inspected.
 */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof DockerError)) {
    return false;
  }
  return (
    error.statusCode === 404 ||
    (error.statusCode === 500 && /no such (container|image|network)/i.test(error.message))
  );
}

/** Ignores a failure with `statusCode`, e.g. 304 for starting a running container. */
export async function ignoreStatus(statusCode: number, promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof DockerError && error.statusCode === statusCode)) {
      throw error;
    }
  }
}
