/**
 * What must hold once Berth settles after a SIGKILL: every deploy final, no deploy twice,
 * the engine's labelled containers exactly the API's live instances, and the stage's proxy
 * host forwarding to a running instance whenever one exists.
 */
import type { ApiClient } from "./api-client.js";
import { type EngineContainer, listContainers } from "./engine.js";
import { type Deploy, FINISHED, type Instance, listDeploys, listInstances } from "./flow.js";
import type { FlowRig } from "./rig.js";

/** Instance statuses that own a container; `failed` means its container is gone. */
const LIVE = new Set(["starting", "running", "stopped"]);

export interface SettledState {
  /** Each broken rule in words; empty when everything holds. */
  problems: string[];
  /** Containers with Berth's labels that no live instance in the API owns. */
  orphanContainers: string[];
}

/** Checks the rules above for `stageIds` and returns what breaks them. */
export async function checkSettledState(
  api: ApiClient,
  rig: FlowRig,
  stageIds: readonly string[],
): Promise<SettledState> {
  const deploys: Deploy[] = [];
  const instances: Instance[] = [];
  for (const stageId of stageIds) {
    deploys.push(...(await listDeploys(api, stageId)));
    instances.push(...(await listInstances(api, stageId)));
  }
  const containers = await listContainers(rig.podman.socketPath, "berth.managed=true");

  const orphanContainers = findOrphans(containers, instances);
  const problems = [
    ...findUnfinished(deploys),
    ...findDuplicates(deploys),
    ...orphanContainers.map((name) => `container ${name} has Berth's labels but no live instance`),
    ...findMissingContainers(containers, instances),
    ...findProxyProblems(rig, instances),
  ];
  return { problems, orphanContainers };
}

function findUnfinished(deploys: readonly Deploy[]): string[] {
  return deploys
    .filter((deploy) => !FINISHED.has(deploy.status) && deploy.status !== "pending_approval")
    .map((deploy) => `deploy ${deploy.id} of ${deploy.tag} is still ${deploy.status}`);
}

/** Detection must make one deploy per (stage, tag, digest), whatever the restarts. */
function findDuplicates(deploys: readonly Deploy[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const deploy of deploys) {
    const key = `${deploy.stageId} ${deploy.tag} ${deploy.digest}`;
    const first = seen.get(key);
    if (first) {
      problems.push(`deploys ${first} and ${deploy.id} both run ${deploy.tag} (${deploy.digest})`);
    }
    seen.set(key, deploy.id);
  }
  return problems;
}

function findOrphans(containers: readonly EngineContainer[], instances: readonly Instance[]) {
  const owned = new Set(
    instances.filter((i) => LIVE.has(i.status)).map((instance) => instance.containerId),
  );
  return containers
    .filter((container) => !owned.has(container.Id))
    .map((container) => `${container.Names[0] ?? container.Id} (${container.State})`);
}

function findMissingContainers(
  containers: readonly EngineContainer[],
  instances: readonly Instance[],
): string[] {
  const problems: string[] = [];
  for (const instance of instances.filter((i) => LIVE.has(i.status))) {
    const container = containers.find((c) => c.Id === instance.containerId);
    if (!container) {
      problems.push(
        `instance ${instance.id} (${instance.tag}) is ${instance.status} in the API only`,
      );
    } else if (instance.status === "running" && container.State !== "running") {
      problems.push(
        `instance ${instance.id} (${instance.tag}) is running but its container is ${container.State}`,
      );
    }
  }
  return problems;
}

/** A stage's proxy host must forward to one of its running instances while any runs. */
function findProxyProblems(rig: FlowRig, instances: readonly Instance[]): string[] {
  const problems: string[] = [];
  for (const stageId of new Set(instances.map((i) => i.stageId))) {
    const ofStage = instances.filter((i) => i.stageId === stageId);
    const running = ofStage.filter((i) => i.status === "running");
    const domain = ofStage.find((i) => i.domain !== null)?.domain;
    if (running.length === 0 || !domain) continue;

    const host = rig.npm.proxyHosts().find((h) => h.domain_names.includes(domain));
    if (!host) {
      problems.push(`no proxy host for ${domain} while ${running[0]?.tag} runs`);
      continue;
    }
    const target = `${host.forward_host}:${host.forward_port}`;
    if (!running.some((i) => `${i.upstreamHost}:${i.upstreamPort}` === target)) {
      const tags = running.map((i) => i.tag).join(", ");
      problems.push(`proxy host for ${domain} forwards to ${target}, not to running ${tags}`);
    }
  }
  return problems;
}
