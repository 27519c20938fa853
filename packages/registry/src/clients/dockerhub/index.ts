import type { ClientDefaults } from "../defaults.js";
import { OciRegistry } from "../oci/client.js";

/** Docker Hub's registry API host; `docker.io` is only an alias for it. */
export const DOCKER_HUB_URL = "https://registry-1.docker.io";

/**
 * Docker Hub through its registry API. Official images live under `library/` (`nginx` is
 * `library/nginx`) and names are lower case. Tokens come from the realm in Docker Hub's
 * challenge (auth.docker.io), and the pull allowance headers are exposed by `rateLimit()`.
 */
export function createDockerHubRegistry(options: ClientDefaults): OciRegistry {
  return new OciRegistry({
    ...options,
    type: "dockerhub",
    repositoryName: dockerHubRepository,
    // Every manifest GET counts against the pull allowance; HEAD does not.
    readsCreatedAt: false,
  });
}

export function dockerHubRepository(repository: string): string {
  const name = repository.toLowerCase();
  return name.includes("/") ? name : `library/${name}`;
}
