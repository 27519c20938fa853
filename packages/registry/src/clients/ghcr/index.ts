import type { ClientDefaults } from "../defaults.js";
import { OciRegistry } from "../oci/client.js";

export const GHCR_URL = "https://ghcr.io";

/**
 * GitHub Container Registry. It requires lower-case names (GitHub owners are often written
 * `Acme`), and even public images need an anonymous token, which the challenge flow fetches.
 * Private images need a username and a PAT with read:packages.
 */
export function createGhcrRegistry(options: ClientDefaults): OciRegistry {
  return new OciRegistry({
    ...options,
    type: "ghcr",
    repositoryName: (repository) => repository.toLowerCase(),
  });
}
