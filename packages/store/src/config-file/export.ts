import { stringify } from "yaml";
import type { Executor } from "../queries/candidates.js";
import { listProjects } from "../queries/projects.js";
import { listRegistries } from "../queries/registries.js";
import { getSettings, type Settings } from "../queries/settings.js";
import { listStages, type Stage } from "../queries/stages.js";
import type { ConfigFileInput, StageConfigInput } from "./schema.js";

const HEADER = `# Berth configuration, written by \`berth export\`. Secrets are left out: registry
# tokens, the Nginx Proxy Manager password and webhook secrets keep their stored values
# when this file is imported again, and each secret stage variable is read from the
# environment variable its secret_env names (PROJECT_STAGE_KEY): set those before importing.
`;

/** Writes the configuration as YAML that `importConfig` reads back, without any secret. */
export async function exportConfig(db: Executor): Promise<string> {
  const [settings, registries, projects, stages] = await Promise.all([
    getSettings(db),
    listRegistries(db),
    listProjects(db),
    listStages(db),
  ]);
  const registryNames = new Map(registries.map((registry) => [registry.id, registry.name]));
  const stageNames = new Map(stages.map((stage) => [stage.id, stage.name]));

  const file: ConfigFileInput = {
    settings: exportSettings(settings),
    registries: registries.map((registry) => ({
      name: registry.name,
      type: registry.type,
      url: registry.url,
      ...optional("username", registry.username),
    })),
    projects: projects.map((project) => ({
      slug: project.slug,
      name: project.name,
      registry: registryNames.get(project.registryId) ?? project.registryId,
      repository: project.repository,
      ...optional("notification_url", project.notificationUrl),
      stages: stages
        .filter((stage) => stage.projectId === project.id)
        .map((stage) => exportStage(stage, project.slug, stageNames)),
    })),
  };
  return HEADER + stringify(file, { lineWidth: 100 });
}

function exportStage(
  stage: Stage,
  projectSlug: string,
  stageNames: Map<string, string>,
): StageConfigInput {
  const promoteFrom = stage.promoteFromStageId
    ? stageNames.get(stage.promoteFromStageId)
    : undefined;
  return {
    name: stage.name,
    tags: { include: stage.tagInclude, exclude: stage.tagExclude },
    policy: exportPolicy(stage.policy),
    auto_deploy: stage.autoDeploy,
    ...optional("promote_from", promoteFrom ?? null),
    ...optional("container_port", stage.containerPort),
    ...(stage.healthCheck
      ? {
          health_check: {
            path: stage.healthCheck.path,
            expected_status: stage.healthCheck.expectedStatus,
            interval_seconds: stage.healthCheck.intervalSeconds,
            timeout_seconds: stage.healthCheck.timeoutSeconds,
          },
        }
      : {}),
    ...optional("subdomain", stage.subdomain),
    ...optional("custom_domain", stage.customDomain),
    max_instances: stage.maxInstances,
    restart_policy: stage.restartPolicy as StageConfigInput["restart_policy"],
    ...optional("notification_url", stage.notificationUrl),
    env: Object.fromEntries(
      stage.env.map((variable) => [
        variable.key,
        variable.secret
          ? { secret_env: secretVariableName(projectSlug, stage.name, variable.key) }
          : (variable.value ?? ""),
      ]),
    ),
    volumes: stage.volumes.map((volume) => ({
      kind: volume.kind,
      source: volume.source,
      target: volume.target,
      read_only: volume.readOnly,
    })),
  };
}

function exportPolicy(policy: Stage["policy"]) {
  switch (policy.kind) {
    case "semver":
      return {
        kind: policy.kind,
        ...optional("range", policy.range ?? null),
        ...optional("allow_prerelease", policy.allowPrerelease ?? null),
      };
    case "numeric":
      return { kind: policy.kind, ...optional("extract", policy.extract ?? null) };
    default:
      return { kind: policy.kind };
  }
}

function exportSettings(settings: Settings): NonNullable<ConfigFileInput["settings"]> {
  return {
    ...optional("base_domain", settings.baseDomain),
    stage_subdomain_pattern: settings.stageSubdomainPattern,
    tag_subdomain_pattern: settings.tagSubdomainPattern,
    docker_network: settings.dockerNetwork,
    reach_mode: settings.reachMode,
    host_address: settings.hostAddress,
    ...optional("poll_cron", settings.pollCron),
    poll_interval_seconds: settings.pollIntervalSeconds,
    poll_jitter_seconds: settings.pollJitterSeconds,
    deploy_concurrency: settings.deployConcurrency,
    health_timeout_seconds: settings.healthTimeoutSeconds,
    ...optional("notification_url", settings.notificationUrl),
    volume_allow_list: settings.volumeAllowList,
    auto_create_projects: settings.autoCreateProjects,
    ...(settings.npmUrl && settings.npmEmail
      ? { npm: { url: settings.npmUrl, email: settings.npmEmail } }
      : {}),
  };
}

/** `SHOP_DEV_DATABASE_PASSWORD` for variable `DATABASE_PASSWORD` of stage `dev` of `shop`. */
function secretVariableName(projectSlug: string, stageName: string, key: string): string {
  return `${projectSlug}_${stageName}_${key}`.toUpperCase().replaceAll("-", "_");
}

/** `{ [key]: value }` for a value that is set, `{}` for null, so the YAML has no `key: null`. */
function optional<K extends string, V>(key: K, value: V | null): { [P in K]?: V } {
  return value === null ? {} : ({ [key]: value } as { [P in K]: V });
}
