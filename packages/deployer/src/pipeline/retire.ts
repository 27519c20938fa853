/** Removing instances beyond the stage's `max_instances`, oldest first, after a success. */
import { type Instance, listLiveInstances, updateInstance } from "@berth/store";
import { messageOf } from "../errors.js";
import type { DeployContext } from "./context.js";
import { tagDomain } from "./proxy-step.js";
import type { DeployLog, PipelineDeps } from "./run-deploy.js";

/**
 * Keeps the newest `max_instances` live instances (the new one included) and removes the
 * rest. A failure to remove one is logged and left for an operator: the deploy itself has
 * already succeeded by then.
 */
export async function retireInstances(
  deps: PipelineDeps,
  context: DeployContext,
  newInstanceId: string,
  log: DeployLog,
): Promise<void> {
  const older = (await listLiveInstances(deps.db, context.stage.id)).filter(
    (instance) => instance.id !== newInstanceId,
  );
  const keepOlder = Math.max(0, context.stage.maxInstances - 1);
  const retiring = older.slice(0, Math.max(0, older.length - keepOlder));

  for (const instance of retiring) {
    try {
      if (instance.containerId) {
        await deps.docker.stopContainer(instance.containerId, deps.stopTimeoutSeconds);
        await deps.docker.removeContainer(instance.containerId);
      }
      await updateInstance(deps.db, instance.id, { status: "removed", stoppedAt: deps.now() });
      await log("info", "retire", `retired ${instance.containerName} (${instance.tag})`);
    } catch (error) {
      await log(
        "warn",
        "retire",
        `could not retire ${instance.containerName}: ${messageOf(error)}`,
      );
      continue;
    }

    // The container is gone and recorded as removed, so a proxy manager that is down leaves
    // at most a per-tag host forwarding to nothing, never an instance row without a container.
    try {
      await removeTagHost(deps, context, instance, log);
    } catch (error) {
      await log(
        "warn",
        "retire",
        `could not remove the per-tag proxy host of ${instance.containerName}: ${messageOf(error)}; delete it in Nginx Proxy Manager`,
      );
    }
  }
}

/** Deletes the instance's per-tag host when it still forwards to that instance. */
async function removeTagHost(
  deps: PipelineDeps,
  context: DeployContext,
  instance: Instance,
  log: DeployLog,
): Promise<void> {
  const proxy = deps.proxyFor(context);
  const domain = tagDomain(context, instance.tag);
  if (!proxy || !domain || instance.upstreamPort === null) {
    return;
  }
  const found = await proxy.findHostByDomain(domain);
  if (
    found?.kind === "proxy" &&
    found.host.forwardHost === instance.upstreamHost &&
    found.host.forwardPort === instance.upstreamPort
  ) {
    await proxy.deleteProxyHost(found.host.id);
    await log("info", "retire", `removed proxy host ${found.host.id} for ${domain}`);
  }
}
