/** Pinning a tag to its manifest digest through the registry's own API, before any pull. */
import { createRegistry } from "@berth/registry";
import { DeployError, messageOf } from "../errors.js";
import type { DeployContext } from "./context.js";

/**
 * Asks the stage's registry which manifest `tag` points to now. The deploy then pulls and
 * runs that digest, so a tag moved during the deploy cannot change what goes live.
 */
export async function resolveDigest(
  context: DeployContext,
  decryptSecret: (value: string) => string,
): Promise<string> {
  const { registry, project, deploy } = context;
  try {
    const client = createRegistry({
      type: registry.type,
      url: registry.url,
      name: registry.name,
      username: registry.username ?? undefined,
      token: registry.tokenEncrypted ? decryptSecret(registry.tokenEncrypted) : undefined,
    });
    return await client.getDigest(project.repository, deploy.tag);
  } catch (error) {
    throw new DeployError(
      "resolve",
      `cannot resolve ${project.repository}:${deploy.tag} in registry ${registry.name}: ${messageOf(error)}`,
      { cause: error },
    );
  }
}
