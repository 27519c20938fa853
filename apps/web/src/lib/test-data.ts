/** Builders for API objects in unit tests; each field can be overridden. */
import type { Deploy, Instance, Stage } from "./types.js";

export function aStage(change: Partial<Stage> = {}): Stage {
  return {
    id: "stage-1",
    projectId: "project-1",
    name: "prod",
    tagInclude: ["v*"],
    tagExclude: [],
    policy: { kind: "semver" },
    autoDeploy: true,
    promoteFromStageId: null,
    containerPort: 8080,
    healthCheck: null,
    subdomain: null,
    customDomain: null,
    maxInstances: 1,
    restartPolicy: "unless-stopped",
    notificationUrl: null,
    env: [],
    volumes: [],
    poll: null,
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    ...change,
  };
}

export function aDeploy(change: Partial<Deploy> = {}): Deploy {
  return {
    id: "deploy-1",
    stageId: "stage-1",
    tag: "v1.2.0",
    digest: `sha256:${"ab".repeat(32)}`,
    trigger: "poll",
    status: "succeeded",
    step: null,
    error: null,
    requestedBy: null,
    approvedBy: null,
    sourceDeployId: null,
    createdAt: "2026-12-01T10:00:00.000Z",
    startedAt: null,
    finishedAt: null,
    ...change,
  };
}

export function anInstance(change: Partial<Instance> = {}): Instance {
  return {
    id: "instance-1",
    stageId: "stage-1",
    deployId: "deploy-1",
    containerName: "berth-shop-prod-1",
    tag: "v1.2.0",
    digest: `sha256:${"ab".repeat(32)}`,
    status: "running",
    health: "healthy",
    domain: null,
    upstreamHost: null,
    upstreamPort: null,
    createdAt: "2026-12-01T10:00:00.000Z",
    ...change,
  };
}
