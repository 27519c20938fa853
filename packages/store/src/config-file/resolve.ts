/**
 * Turns the validated file into store inputs: secret references become values read from the
 * injected environment, snake_case keys become the store's fields. Every unset variable is
 * reported at once, before anything is written.
 */

import type { SettingsPatch } from "../queries/settings.js";
import type { StageEnvInput, StageVolumeInput } from "../queries/stages.js";
import type { HttpHealthCheck, TagPolicy, WebhookSource } from "../schema.js";
import { ConfigFileError, formatPath } from "./parse.js";
import type {
  ConfigFile,
  ProjectConfig,
  RegistryConfig,
  SecretReference,
  SettingsConfig,
  StageConfig,
} from "./schema.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ResolvedRegistry {
  name: string;
  type: RegistryConfig["type"];
  url: string;
  username: string | null;
  /** Undefined keeps the stored token. */
  token: string | undefined;
}

export interface ResolvedStage {
  name: string;
  promoteFrom: string | undefined;
  columns: {
    tagInclude: string[];
    tagExclude: string[];
    policy: TagPolicy;
    autoDeploy: boolean;
    containerPort: number | null;
    healthCheck: HttpHealthCheck | null;
    subdomain: string | null;
    customDomain: string | null;
    maxInstances: number;
    restartPolicy: string;
    notificationUrl: string | null;
  };
  env: Array<Required<StageEnvInput>>;
  volumes: Array<Required<StageVolumeInput>>;
}

export interface ResolvedProject {
  slug: string;
  name: string;
  registry: string;
  repository: string;
  notificationUrl: string | null;
  stages: ResolvedStage[];
}

export interface ResolvedConfig {
  /** Only the settings the file names. */
  settings: SettingsPatch;
  registries: ResolvedRegistry[];
  projects: ResolvedProject[];
}

/** Resolves secret references; throws `ConfigFileError` naming every unset variable. */
export function resolveConfig(config: ConfigFile, env: Environment, file: string): ResolvedConfig {
  const problems: string[] = [];
  const secret = (reference: SecretReference, path: PropertyKey[]): string => {
    if ("secret" in reference) {
      return reference.secret;
    }
    const value = env[reference.secret_env];
    if (value === undefined || value === "") {
      problems.push(
        `${formatPath([...path, "secret_env"])}: environment variable ${reference.secret_env} is not set`,
      );
      return "";
    }
    return value;
  };

  const resolved: ResolvedConfig = {
    settings: config.settings ? resolveSettings(config.settings, secret) : {},
    registries: config.registries.map((registry, index) =>
      resolveRegistry(registry, index, env, problems),
    ),
    projects: config.projects.map((project, index) => resolveProject(project, index, secret)),
  };
  if (problems.length > 0) {
    throw new ConfigFileError(file, problems);
  }
  return resolved;
}

type SecretReader = (reference: SecretReference, path: PropertyKey[]) => string;

function resolveRegistry(
  registry: RegistryConfig,
  index: number,
  env: Environment,
  problems: string[],
): ResolvedRegistry {
  let token = registry.token;
  if (registry.token_env) {
    token = env[registry.token_env];
    if (token === undefined || token === "") {
      problems.push(
        `registries[${index}].token_env: environment variable ${registry.token_env} is not set`,
      );
    }
  }
  return {
    name: registry.name,
    type: registry.type,
    url: registry.url,
    username: registry.username ?? null,
    token,
  };
}

function resolveProject(
  project: ProjectConfig,
  index: number,
  secret: SecretReader,
): ResolvedProject {
  return {
    slug: project.slug,
    name: project.name ?? project.slug,
    registry: project.registry,
    repository: project.repository,
    notificationUrl: project.notification_url ?? null,
    stages: project.stages.map((stage, stageIndex) =>
      resolveStage(stage, ["projects", index, "stages", stageIndex], secret),
    ),
  };
}

function resolveStage(
  stage: StageConfig,
  path: PropertyKey[],
  secret: SecretReader,
): ResolvedStage {
  const env = Object.entries(stage.env)
    .map(([key, value]) => {
      if (typeof value === "object") {
        return { key, value: secret(value, [...path, "env", key]), secret: true };
      }
      return { key, value: String(value), secret: false };
    })
    .sort((a, b) => a.key.localeCompare(b.key));

  return {
    name: stage.name,
    promoteFrom: stage.promote_from,
    columns: {
      tagInclude: stage.tags.include,
      tagExclude: stage.tags.exclude,
      policy: toPolicy(stage.policy),
      autoDeploy: stage.auto_deploy,
      containerPort: stage.container_port ?? null,
      healthCheck: stage.health_check
        ? {
            path: stage.health_check.path,
            expectedStatus: stage.health_check.expected_status,
            intervalSeconds: stage.health_check.interval_seconds,
            timeoutSeconds: stage.health_check.timeout_seconds,
          }
        : null,
      subdomain: stage.subdomain ?? null,
      customDomain: stage.custom_domain ?? null,
      maxInstances: stage.max_instances,
      restartPolicy: stage.restart_policy,
      notificationUrl: stage.notification_url ?? null,
    },
    env,
    volumes: stage.volumes
      .map((volume) => ({
        kind: volume.kind,
        source: volume.source,
        target: volume.target,
        readOnly: volume.read_only,
      }))
      .sort((a, b) => a.target.localeCompare(b.target)),
  };
}

function toPolicy(policy: StageConfig["policy"]): TagPolicy {
  switch (policy.kind) {
    case "semver":
      return {
        kind: "semver",
        ...(policy.range === undefined ? {} : { range: policy.range }),
        ...(policy.allow_prerelease === undefined
          ? {}
          : { allowPrerelease: policy.allow_prerelease }),
      };
    case "numeric":
      return {
        kind: "numeric",
        ...(policy.extract === undefined ? {} : { extract: policy.extract }),
      };
    default:
      return { kind: policy.kind };
  }
}

function resolveSettings(config: SettingsConfig, secret: SecretReader): SettingsPatch {
  const patch: SettingsPatch = {};
  const assign = <K extends keyof SettingsPatch>(key: K, value: SettingsPatch[K] | undefined) => {
    if (value !== undefined) {
      patch[key] = value;
    }
  };

  assign("baseDomain", config.base_domain);
  assign("stageSubdomainPattern", config.stage_subdomain_pattern);
  assign("tagSubdomainPattern", config.tag_subdomain_pattern);
  assign("dockerNetwork", config.docker_network);
  assign("reachMode", config.reach_mode);
  assign("hostAddress", config.host_address);
  assign("pollCron", config.poll_cron);
  assign("pollIntervalSeconds", config.poll_interval_seconds);
  assign("pollJitterSeconds", config.poll_jitter_seconds);
  assign("deployConcurrency", config.deploy_concurrency);
  assign("healthTimeoutSeconds", config.health_timeout_seconds);
  assign("notificationUrl", config.notification_url);
  assign("volumeAllowList", config.volume_allow_list);
  assign("autoCreateProjects", config.auto_create_projects);
  if (config.notification_secret) {
    patch.notificationSecret = secret(config.notification_secret, [
      "settings",
      "notification_secret",
    ]);
  }
  if (config.npm) {
    patch.npmUrl = config.npm.url;
    patch.npmEmail = config.npm.email;
    if (config.npm.password) {
      patch.npmPassword = secret(config.npm.password, ["settings", "npm", "password"]);
    }
  }
  if (config.webhook_secrets) {
    const webhookSecrets: Partial<Record<WebhookSource, string>> = {};
    for (const [source, reference] of Object.entries(config.webhook_secrets)) {
      if (reference) {
        webhookSecrets[source as WebhookSource] = secret(reference, [
          "settings",
          "webhook_secrets",
          source,
        ]);
      }
    }
    patch.webhookSecrets = webhookSecrets;
  }
  return patch;
}
