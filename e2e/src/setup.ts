/**
 * Configures a running Berth through its public API for the flow: the proxy manager, a
 * registry, project `shop` (acme/shop) with stages `dev` (dev-*, numeric, auto-deploy) and
 * `prod` (v*.*.*, semver, approval, promoted from dev), and the Gitea webhook secret.
 */
import type { ApiClient } from "./api-client.js";
import type { FlowRig } from "./rig.js";

export interface Stage {
  id: string;
  name: string;
}

export interface FlowSetup {
  registryId: string;
  projectId: string;
  dev: Stage;
  prod: Stage;
  giteaSecret: string;
}

export const REPOSITORY = "acme/shop";

/** Health check of the test image: busybox httpd serves /health on port 8080. */
const HEALTH_CHECK = {
  path: "/health",
  expectedStatus: 200,
  intervalSeconds: 1,
  timeoutSeconds: 1,
};

export async function configureFlow(api: ApiClient, rig: FlowRig): Promise<FlowSetup> {
  await api.patch("/settings", {
    npmUrl: rig.npm.url,
    npmEmail: rig.npm.email,
    npmPassword: rig.npm.password,
    baseDomain: "example.test",
    reachMode: "host_port",
    hostAddress: "127.0.0.1",
    healthTimeoutSeconds: 8,
  });

  const { registry } = await api.post<{ registry: { id: string } }>("/registries", {
    name: "local",
    type: "oci",
    url: rig.registry.url,
  });
  const { project } = await api.post<{ project: { id: string } }>("/projects", {
    slug: "shop",
    name: "Shop",
    registryId: registry.id,
    repository: REPOSITORY,
  });
  const dev = await createStage(api, {
    projectId: project.id,
    name: "dev",
    tagInclude: ["dev-*"],
    // The number after `dev-` orders the tags, so dev-10 is newer than dev-9. Alphabetical
    // order would put dev-10 before dev-9 and never deploy it.
    policy: { kind: "numeric" },
    autoDeploy: true,
  });
  const prod = await createStage(api, {
    projectId: project.id,
    name: "prod",
    tagInclude: ["v*.*.*"],
    policy: { kind: "semver" },
    autoDeploy: false,
    promoteFromStageId: dev.id,
  });
  const { secret } = await api.post<{ secret: string }>("/webhooks/gitea/secret");
  return { registryId: registry.id, projectId: project.id, dev, prod, giteaSecret: secret };
}

async function createStage(api: ApiClient, fields: Record<string, unknown>): Promise<Stage> {
  const { stage } = await api.post<{ stage: Stage }>("/stages", {
    containerPort: 8080,
    healthCheck: HEALTH_CHECK,
    restartPolicy: "no",
    ...fields,
  });
  return stage;
}
