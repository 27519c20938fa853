import { type DockerClient, DockerError } from "@berth/deployer";

/**
 * Stands in for the engine when none is reachable, so Berth still serves the API and polls:
 * every deploy then fails at its first engine step with this reason. Listing containers
 * answers "none", so start-up recovery still marks interrupted deploys as failed.
 */
export function missingDockerClient(reason: string): DockerClient {
  const fail = (operation: string) => () =>
    Promise.reject(new DockerError(operation, `no Docker engine is reachable (${reason})`));
  return {
    apiVersion: "none",
    ping: fail("ping"),
    pull: fail("pull"),
    inspectImage: fail("inspect image"),
    createContainer: fail("create container"),
    startContainer: fail("start container"),
    stopContainer: fail("stop container"),
    removeContainer: fail("remove container"),
    renameContainer: fail("rename container"),
    inspectContainer: fail("inspect container"),
    listContainers: () => Promise.resolve([]),
    ensureNetwork: fail("ensure network"),
    connectNetwork: fail("connect network"),
    waitForRemoval: fail("wait for removal"),
  };
}

/** The default engine address, used when neither BERTH_DOCKER_HOST nor DOCKER_HOST is set. */
const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/** Fixes for an engine that failed at start, by system error code. */
const ENGINE_FIXES: Record<string, string> = {
  ENOENT: "no socket exists at that path, so start the engine or set BERTH_DOCKER_HOST",
  ECONNREFUSED: "nothing listens there, so start the engine or set BERTH_DOCKER_HOST",
  EACCES:
    "the user Berth runs as lacks permission on the socket, so add that user to the socket's group",
};

const DEFAULT_ENGINE_FIX = "check that the engine runs there or set BERTH_DOCKER_HOST";

/**
 * Builds the one-line start-up warning for an engine that did not respond: the host, the error
 * code (`ENOENT`, `ECONNREFUSED`, `EACCES`, `timeout` or `error`) and what to do.
 */
export function engineUnreachableWarning(
  host: string | undefined,
  error: unknown,
): { host: string; code: string; message: string } {
  const target = host ?? DEFAULT_DOCKER_HOST;
  const code = errorCode(error);
  const fix = ENGINE_FIXES[code] ?? DEFAULT_ENGINE_FIX;
  return {
    host: target,
    code,
    message: `Docker engine unreachable at ${target} (${code}): ${fix}, then restart Berth. Until then deploys fail at their first engine step`,
  };
}

/** Returns the first system error code in the cause chain, else a short word for the failure. */
function errorCode(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === "string") {
      return code;
    }
    current = current.cause;
  }
  return /timed out/.test(String(error)) ? "timeout" : "error";
}
