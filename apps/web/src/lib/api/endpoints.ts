/**
 * Typed calls for each API route the dashboard uses. Lists come back wrapped by name
 * (`{ projects: [...] }`), single resources by their singular name; `unwrap` accepts both
 * that and a bare value.
 */
import type {
  ApiToken,
  Deploy,
  DeployLogLine,
  DeployStatus,
  DeployTrigger,
  ImageInspection,
  Instance,
  Project,
  Registry,
  RegistryTag,
  Settings,
  Stage,
  User,
  WebhookEndpoint,
} from "../types.js";
import { request, unwrap } from "./client.js";

type Body = Record<string, unknown>;

/** The result of a connection check; a failed check is a 200 with `ok` false and the reason. */
export interface ConnectionCheck {
  ok: boolean;
  message: string;
}

async function list<T>(path: string, key: string, query: Body = {}): Promise<T[]> {
  const body = await request<unknown>("GET", path, { query: query as Record<string, string> });
  return unwrap<T[]>(body, key) ?? [];
}

async function one<T>(method: string, path: string, key: string, body?: unknown): Promise<T> {
  const response = await request<unknown>(method, path, body === undefined ? {} : { body });
  return unwrap<T>(response, key);
}

export const auth = {
  login: (username: string, password: string) =>
    request<{ user: User; expiresAt: string }>("POST", "/auth/login", {
      body: { username, password },
    }),
  logout: () => request<undefined>("POST", "/auth/logout"),
  me: () => request<{ user: User }>("GET", "/auth/me"),
  /** Changes the signed-in user's password. The API ends the user's other sessions. */
  changePassword: (currentPassword: string, newPassword: string) =>
    request<undefined>("POST", "/auth/password", { body: { currentPassword, newPassword } }),
};

export const registries = {
  list: () => list<Registry>("/registries", "registries"),
  create: (body: Body) => one<Registry>("POST", "/registries", "registry", body),
  update: (id: string, body: Body) => one<Registry>("PATCH", `/registries/${id}`, "registry", body),
  remove: (id: string) => request<undefined>("DELETE", `/registries/${id}`),
  /** Checks that the registry responds and accepts the stored credentials. */
  test: (id: string) => request<ConnectionCheck>("POST", `/registries/${id}/test`),
  tags: (id: string, repository: string) =>
    request<unknown>("GET", `/registries/${id}/tags`, { query: { repository } }).then((body) =>
      normaliseTags(unwrap<unknown[]>(body, "tags") ?? []),
    ),
};

/** Tags arrive as names or as objects with a name; both become `RegistryTag`s. */
export function normaliseTags(tags: unknown[]): RegistryTag[] {
  return tags.flatMap((tag): RegistryTag[] => {
    if (typeof tag === "string") {
      return [{ name: tag }];
    }
    if (typeof tag === "object" && tag !== null && typeof (tag as RegistryTag).name === "string") {
      // The API sends `createdAt: null` for registries that list no creation times.
      const { name, createdAt } = tag as { name: string; createdAt?: unknown };
      return [typeof createdAt === "string" ? { name, createdAt } : { name }];
    }
    return [];
  });
}

export const projects = {
  list: () => list<Project>("/projects", "projects"),
  get: (id: string) => one<Project>("GET", `/projects/${id}`, "project"),
  create: (body: Body) => one<Project>("POST", "/projects", "project", body),
  update: (id: string, body: Body) => one<Project>("PATCH", `/projects/${id}`, "project", body),
  remove: (id: string) => request<undefined>("DELETE", `/projects/${id}`),
};

export const stages = {
  list: (projectId?: string) => list<Stage>("/stages", "stages", { projectId }),
  get: (id: string) => one<Stage>("GET", `/stages/${id}`, "stage"),
  create: (body: Body) => one<Stage>("POST", "/stages", "stage", body),
  update: (id: string, body: Body) => one<Stage>("PATCH", `/stages/${id}`, "stage", body),
  remove: (id: string) => request<undefined>("DELETE", `/stages/${id}`),
};

export interface DeployFilters {
  projectId?: string | undefined;
  stageId?: string | undefined;
  status?: DeployStatus | "" | undefined;
  trigger?: DeployTrigger | "" | undefined;
  limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  before?: string | undefined;
}

export interface DeployPage {
  deploys: Deploy[];
  /** Cursor of the next older page; `null` on the last page. */
  nextCursor: string | null;
}

/** Actions on one deploy; each returns the deploy it changed or the one it created. */
export const DEPLOY_ACTIONS = [
  "approve",
  "reject",
  "cancel",
  "redeploy",
  "rollback",
  "promote",
] as const;
export type DeployAction = (typeof DEPLOY_ACTIONS)[number];

export const deploys = {
  list: async (filters: DeployFilters = {}): Promise<DeployPage> => {
    const body = await request<Partial<DeployPage>>("GET", "/deploys", { query: { ...filters } });
    return { deploys: body.deploys ?? [], nextCursor: body.nextCursor ?? null };
  },
  get: (id: string) => one<Deploy>("GET", `/deploys/${id}`, "deploy"),
  /** The whole log so far, for finished deploys and when the live stream is unavailable. */
  log: (id: string) =>
    request<unknown>("GET", `/deploys/${id}/log`).then(
      (body) => unwrap<DeployLogLine[]>(body, "entries") ?? [],
    ),
  create: (stageId: string, tag: string, digest?: string | null) =>
    one<Deploy>("POST", "/deploys", "deploy", { stageId, tag, ...(digest ? { digest } : {}) }),
  /** Deploys to `stageId` the digest running in the stage it promotes from. */
  promote: (stageId: string) => one<Deploy>("POST", "/deploys/promote", "deploy", { stageId }),
  approve: (id: string) => one<Deploy>("POST", `/deploys/${id}/approve`, "deploy", {}),
  reject: (id: string) => one<Deploy>("POST", `/deploys/${id}/reject`, "deploy", {}),
  cancel: (id: string) => one<Deploy>("POST", `/deploys/${id}/cancel`, "deploy", {}),
  rollback: (id: string) => one<Deploy>("POST", `/deploys/${id}/rollback`, "deploy", {}),
  /** Queues the deploy's tag and digest again, recording this deploy as the source. */
  redeploy: (id: string) => one<Deploy>("POST", `/deploys/${id}/redeploy`, "deploy", {}),
};

/**
 * Runs a deploy action. A promotion deploys to `promoteStageId`, the stage that promotes from
 * this one.
 */
export function runDeployAction(
  deploy: Deploy,
  action: DeployAction,
  promoteStageId: string | null,
): Promise<Deploy> {
  switch (action) {
    case "promote":
      if (!promoteStageId) {
        return Promise.reject(new Error(`no stage promotes from the stage of deploy ${deploy.id}`));
      }
      return deploys.promote(promoteStageId);
    default:
      return deploys[action](deploy.id);
  }
}

/** Container actions; each returns the instance after the change. */
export const INSTANCE_ACTIONS = ["start", "stop", "restart", "remove"] as const;
export type InstanceAction = (typeof INSTANCE_ACTIONS)[number];

export const instances = {
  list: (stageId?: string) => list<Instance>("/instances", "instances", { stageId }),
  act: (id: string, action: InstanceAction) =>
    one<Instance>("POST", `/instances/${id}/${action}`, "instance", {}),
};

export const quickDeploy = {
  inspect: (image: string) =>
    request<ImageInspection>("POST", "/quick-deploy/inspect", { body: { image } }),
  /** Creates a project with one stage for `image` (which carries the tag) and deploys it. */
  deploy: (body: { image: string; slug: string; stage: string; containerPort: number | null }) =>
    request<{ projectId: string; stageId: string; deploy: Deploy }>("POST", "/quick-deploy", {
      body,
    }),
};

export const settings = {
  get: () => one<Settings>("GET", "/settings", "settings"),
  update: (body: Body) => one<Settings>("PATCH", "/settings", "settings", body),
  /** Signs in to Nginx Proxy Manager with the stored settings and lists its proxy hosts. */
  testProxyManager: () => request<ConnectionCheck>("POST", "/settings/npm/test"),
};

export const webhooks = {
  list: () => list<WebhookEndpoint>("/webhooks", "endpoints"),
  regenerate: (source: string) =>
    request<{ source: string; secret: string; path: string }>("POST", `/webhooks/${source}/secret`),
};

export const users = {
  list: () => list<User>("/users", "users"),
  create: (body: Body) => one<User>("POST", "/users", "user", body),
  remove: (id: string) => request<undefined>("DELETE", `/users/${id}`),
};

export const tokens = {
  list: () => list<ApiToken>("/tokens", "tokens"),
  create: (body: Body) => request<{ token: ApiToken; secret: string }>("POST", "/tokens", { body }),
  revoke: (id: string) => request<unknown>("DELETE", `/tokens/${id}`),
};
