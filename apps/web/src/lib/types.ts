/**
 * The API's JSON shapes as the dashboard reads them. They follow the schemas the API
 * validates with (dates are ISO strings); secrets appear only as `…Set` flags.
 */
export const REGISTRY_TYPES = ["gitea", "forgejo", "oci", "dockerhub", "ghcr"] as const;
export type RegistryType = (typeof REGISTRY_TYPES)[number];

export const DEPLOY_STATUSES = [
  "pending_approval",
  "queued",
  "running",
  "succeeded",
  "failed",
  "rolled_back",
  "cancelled",
  "rejected",
] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

export const DEPLOY_TRIGGERS = [
  "poll",
  "webhook",
  "manual",
  "redeploy",
  "rollback",
  "promote",
] as const;
export type DeployTrigger = (typeof DEPLOY_TRIGGERS)[number];

export const INSTANCE_STATUSES = ["starting", "running", "stopped", "failed", "removed"] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const VOLUME_KINDS = ["shared", "isolated", "named"] as const;
export type VolumeKind = (typeof VOLUME_KINDS)[number];

export const RESTART_POLICIES = ["no", "always", "unless-stopped", "on-failure"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export const USER_ROLES = ["admin", "operator", "viewer"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const TOKEN_SCOPES = ["read", "deploy", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const REACH_MODES = ["network", "host_port"] as const;
export type ReachMode = (typeof REACH_MODES)[number];

export interface User {
  id: string;
  username: string;
  role: UserRole;
  disabled?: boolean;
  createdAt?: string;
}

export interface Registry {
  id: string;
  name: string;
  type: RegistryType;
  url: string;
  username: string | null;
  tokenSet: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Project {
  id: string;
  slug: string;
  name: string;
  registryId: string;
  repository: string;
  notificationUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

export type TagPolicy =
  | { kind: "semver"; range?: string; allowPrerelease?: boolean }
  | { kind: "numeric"; extract?: string }
  | { kind: "alphabetical" }
  | { kind: "newest" }
  | { kind: "digest" };

export interface HealthCheck {
  path: string;
  expectedStatus: number;
  intervalSeconds: number;
  timeoutSeconds: number;
}

export interface EnvEntry {
  key: string;
  /** `null` for a secret: the API never returns secret values. */
  value: string | null;
  secret: boolean;
}

export interface Volume {
  kind: VolumeKind;
  source: string;
  target: string;
  readOnly: boolean;
}

/** The poller's last result for a stage. */
export interface PollStatus {
  lastPolledAt: string | null;
  /** The error of the last poll, or null when it succeeded. */
  lastError: string | null;
  lastErrorAt: string | null;
  /** Failed polls in a row. */
  failureStreak: number;
  /** When the poller checks the stage next; after a failure, when its backoff ends. */
  nextDueAt: string;
}

export interface Stage {
  id: string;
  projectId: string;
  name: string;
  tagInclude: string[];
  tagExclude: string[];
  policy: TagPolicy;
  autoDeploy: boolean;
  promoteFromStageId: string | null;
  containerPort: number | null;
  healthCheck: HealthCheck | null;
  subdomain: string | null;
  customDomain: string | null;
  maxInstances: number;
  restartPolicy: RestartPolicy;
  notificationUrl: string | null;
  env: EnvEntry[];
  volumes: Volume[];
  /** Null until the stage's first poll. */
  poll: PollStatus | null;
  createdAt: string;
  updatedAt: string;
}

export interface Deploy {
  id: string;
  stageId: string;
  tag: string;
  digest: string | null;
  trigger: DeployTrigger;
  status: DeployStatus;
  step: string | null;
  error: string | null;
  requestedBy: string | null;
  approvedBy: string | null;
  sourceDeployId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface DeployLogLine {
  id: number;
  at: string;
  level: "debug" | "info" | "warn" | "error";
  step: string | null;
  message: string;
}

export interface Instance {
  id: string;
  stageId: string;
  deployId: string | null;
  containerName: string;
  tag: string;
  digest: string;
  status: InstanceStatus;
  health: string | null;
  domain: string | null;
  upstreamHost: string | null;
  upstreamPort: number | null;
  createdAt: string;
}

export interface Settings {
  baseDomain: string | null;
  stageSubdomainPattern: string;
  tagSubdomainPattern: string;
  dockerNetwork: string;
  reachMode: ReachMode;
  hostAddress: string;
  npmUrl: string | null;
  npmEmail: string | null;
  npmPasswordSet: boolean;
  pollCron: string | null;
  pollIntervalSeconds: number;
  pollJitterSeconds: number;
  notificationUrl: string | null;
  autoCreateProjects: boolean;
}

export interface WebhookEndpoint {
  source: string;
  path: string;
  signed: boolean;
  secretSet: boolean;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scope: TokenScope;
  /** The one project the token may reach, or null for every project. */
  projectId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A tag as `GET /registries/:id/tags` lists it. */
export interface RegistryTag {
  name: string;
  digest?: string;
  createdAt?: string;
}

/** Report of `POST /quick-deploy/inspect` on an image reference. */
export interface ImageInspection {
  registryId: string;
  repository: string;
  /** The tag in the pasted reference, if it had one. */
  tag: string | null;
  tags: string[];
  /** Ports as the image config lists them, e.g. `8080/tcp`; `null` when no engine could pull it. */
  exposedPorts: string[] | null;
  labels: Record<string, string> | null;
  /** Why ports and labels are missing, when they are. */
  note: string | null;
}
