/** Steps of the flow shared by the end-to-end test, the demo and the latency benchmark. */
import { pushTestImage } from "@berth/testing";
import type { ApiClient } from "./api-client.js";
import type { FlowRig } from "./rig.js";
import { REPOSITORY } from "./setup.js";
import { waitFor } from "./wait.js";

export interface Deploy {
  id: string;
  stageId: string;
  tag: string;
  digest: string | null;
  trigger: string;
  status: string;
  step: string | null;
  error: string | null;
  sourceDeployId: string | null;
}

export interface Instance {
  id: string;
  stageId: string;
  deployId: string | null;
  containerId: string | null;
  tag: string;
  digest: string;
  status: string;
  health: string | null;
  upstreamHost: string | null;
  upstreamPort: number | null;
  domain: string | null;
  proxyHostId: number | null;
}

export const FINISHED = new Set(["succeeded", "failed", "rolled_back", "cancelled", "rejected"]);

/** `broken` images serve no /health, so they never pass the health gate. */
export async function pushShop(
  rig: FlowRig,
  tag: string,
  kind: "good" | "broken" = "good",
): Promise<string> {
  const { digest } = await pushTestImage({
    registry: rig.registry.host,
    repository: REPOSITORY,
    tag,
    content: `shop ${tag}`,
    ...(kind === "broken"
      ? { cmd: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp"] }
      : {}),
  });
  return digest;
}

export async function listDeploys(api: ApiClient, stageId: string): Promise<Deploy[]> {
  const { deploys } = await api.get<{ deploys: Deploy[] }>(`/deploys?stageId=${stageId}&limit=200`);
  return deploys;
}

export async function listInstances(api: ApiClient, stageId: string): Promise<Instance[]> {
  const { instances } = await api.get<{ instances: Instance[] }>(`/instances?stageId=${stageId}`);
  return instances;
}

/** Waits until the stage has a deploy of `tag` whose status passes `accept`. */
export function waitForDeploy(
  api: ApiClient,
  stageId: string,
  tag: string,
  accept: (status: string) => boolean = (status) => FINISHED.has(status),
  timeoutMs = 45_000,
): Promise<Deploy> {
  return waitFor(
    `a deploy of ${tag}`,
    async () => (await listDeploys(api, stageId)).find((d) => d.tag === tag && accept(d.status)),
    { timeoutMs },
  );
}

/** Waits until the deploy is in a finished status. */
export function waitForFinish(
  api: ApiClient,
  deployId: string,
  timeoutMs = 45_000,
): Promise<Deploy> {
  return waitFor(
    `deploy ${deployId} to finish`,
    async () => {
      const { deploy } = await api.get<{ deploy: Deploy }>(`/deploys/${deployId}`);
      return FINISHED.has(deploy.status) ? deploy : undefined;
    },
    { timeoutMs },
  );
}

/** Lists the stage's instances that serve traffic now. */
export async function runningInstances(api: ApiClient, stageId: string): Promise<Instance[]> {
  return (await listInstances(api, stageId)).filter((i) => i.status === "running");
}

/** GETs `path` from an instance's published port on 127.0.0.1. */
export async function fetchFrom(
  host: string,
  port: number,
  path: string,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${host}:${port}${path}`, {
    signal: AbortSignal.timeout(2000),
  });
  return { status: response.status, body: await response.text() };
}
