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
