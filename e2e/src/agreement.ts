/**
 * Checks that the engine's real containers, the proxy stand-in's hosts and Berth's API tell
 * the same story for a stage.
 */
import type { ApiClient } from "./api-client.js";
import { listContainers } from "./engine.js";
import { type Instance, listInstances } from "./flow.js";
import type { FlowRig } from "./rig.js";

export interface Disagreement {
  what: string;
}

/** Returns every way the engine, the proxy and the API disagree; empty when they agree. */
export async function findDisagreements(
  api: ApiClient,
  rig: FlowRig,
  stageIds: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  const containers = await listContainers(rig.podman.socketPath, "berth.managed=true");
  const running = containers.filter((c) => c.State === "running");
  const instances: Instance[] = [];
  for (const stageId of stageIds) {
    instances.push(...(await listInstances(api, stageId)));
  }
  const live = instances.filter((i) => i.status === "running");

  for (const container of running) {
    const owner = live.find((i) => i.containerId === container.Id);
    if (!owner) {
      problems.push(`container ${container.Names[0]} runs but no running instance owns it`);
    }
  }
  for (const instance of live) {
    if (!running.some((c) => c.Id === instance.containerId)) {
      problems.push(`instance ${instance.id} (${instance.tag}) is running in the API only`);
    }
  }

  const hosts = rig.npm.proxyHosts();
  for (const instance of live.filter((i) => i.proxyHostId !== null)) {
    const host = hosts.find((h) => h.id === instance.proxyHostId);
    if (!host) {
      problems.push(
        `instance ${instance.tag} names proxy host ${instance.proxyHostId}, which is gone`,
      );
    }
  }
  return problems;
}
