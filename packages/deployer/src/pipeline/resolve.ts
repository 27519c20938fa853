/** Pinning a tag to its manifest digest through the registry's own API, before any pull. */
import { createRegistry } from "@berth/registry";
import { DeployError, messageOf } from "../errors.js";
import type { DeployContext } from "./context.js";
import type { PipelineDeps } from "./run-deploy.js";

/**
 * Asks the stage's registry which manifest `tag` points to now. The deploy then pulls and
 * runs that digest, so a tag moved during the deploy cannot change what goes live. Each
 * request gets the same time limit as the poller's, so one setting governs every registry call.
 */
export async function resolveDigest(
  context: DeployContext,
  deps: Pick<PipelineDeps, "decryptSecret" | "registryTimeoutSeconds">,
): Promise<string> {
  const { registry, project, deploy } = context;
  try {
    const client = createRegistry({
      type: registry.type,
      url: registry.url,
      name: registry.name,
      username: registry.username ?? undefined,
      token: registry.tokenEncrypted ? deps.decryptSecret(registry.tokenEncrypted) : undefined,
      timeoutMs: deps.registryTimeoutSeconds * 1000,
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
