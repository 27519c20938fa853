/**
 * The YAML configuration file, as zod schemas. Keys are snake_case as people write them;
 * strict objects turn a misspelt key into an error instead of a silently ignored line.
 */
import { z } from "zod";
import { pollCronProblem } from "../poll-cron.js";
import { REACH_MODES, REGISTRY_TYPES, VOLUME_KINDS, WEBHOOK_SOURCES } from "../schema.js";
import { type SubdomainPatternKind, subdomainPatternProblem } from "../subdomain-pattern.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_NAME, "expected an environment variable name");

/**
 * An outbound URL: Berth sends requests only over `http:` and `https:`. A missing URL gets
 * no message here, so the import reports it as required.
 */
const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) =>
    issue.input === undefined
      ? undefined
      : `invalid URL ${JSON.stringify(issue.input)}: use an http:// or https:// URL`,
});

/** A string that `problem` checks; its message becomes the issue at the string's path. */
const checkedString = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, context) => {
    const message = problem(value);
    if (message !== undefined) {
      context.addIssue({ code: "custom", message });
    }
  });

const subdomainPattern = (kind: SubdomainPatternKind) =>
  checkedString((pattern) => subdomainPatternProblem(pattern, kind));

/** A secret given in the file, or the name of an environment variable that contains it. */
const secretReference = z.union(
  [z.strictObject({ secret: z.string().min(1) }), z.strictObject({ secret_env: envName })],
  { error: "expected { secret: VALUE } or { secret_env: VARIABLE }" },
);
export type SecretReference = z.infer<typeof secretReference>;

const policy = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("semver"),
    range: z.string().optional(),
    allow_prerelease: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("numeric"),
    extract: z.string().superRefine(checkExtract).optional(),
  }),
  z.strictObject({ kind: z.literal("alphabetical") }),
  z.strictObject({ kind: z.literal("newest") }),
  z.strictObject({ kind: z.literal("digest") }),
]);

/**
 * A numeric policy's `extract` must compile and have exactly one capture group, counted the
 * way the tag selection counts them (the store cannot use the registry package).
 */
function checkExtract(extract: string, context: z.RefinementCtx): void {
  try {
    new RegExp(extract);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    context.addIssue({
      code: "custom",
      message: `invalid regular expression "${extract}": ${detail}; it needs exactly one capture group, e.g. ^build-(\\d+)$`,
    });
    return;
  }

  // An alternation with the empty string always matches, so the match length counts the groups.
  const groups = (new RegExp(`${extract}|`).exec("")?.length ?? 1) - 1;
  if (groups !== 1) {
    context.addIssue({
      code: "custom",
      message: `regular expression "${extract}" has ${groups} capture groups: it needs exactly one, e.g. ^build-(\\d+)$`,
    });
  }
}

const healthCheck = z.strictObject({
  path: z.string().startsWith("/"),
  expected_status: z.number().int().min(100).max(599).default(200),
  interval_seconds: z.number().int().positive().default(2),
  timeout_seconds: z.number().int().positive().default(60),
});

const envValue = z.union([z.string(), z.number(), z.boolean(), secretReference], {
  error: "expected a plain value, { secret: VALUE } or { secret_env: VARIABLE }",
});

const volume = z.strictObject({
  kind: z.enum(VOLUME_KINDS),
  source: z.string().min(1),
  target: z.string().startsWith("/"),
  read_only: z.boolean().default(false),
});

const stage = z.strictObject({
  name: z.string().min(1),
  tags: z
    .strictObject({
      include: z.array(z.string()).default([]),
      exclude: z.array(z.string()).default([]),
    })
    .default({ include: [], exclude: [] }),
  policy,
  auto_deploy: z.boolean().default(false),
  promote_from: z.string().optional(),
  container_port: z.number().int().min(1).max(65535).optional(),
  health_check: healthCheck.optional(),
  subdomain: subdomainPattern("stage").optional(),
  custom_domain: z.string().optional(),
  max_instances: z.number().int().min(1).max(20).default(1),
  restart_policy: z
    .enum(["no", "always", "unless-stopped", "on-failure"])
    .default("unless-stopped"),
  notification_url: httpUrl.optional(),
  env: z.record(z.string().regex(ENV_NAME, "expected a variable name"), envValue).default({}),
  volumes: z.array(volume).default([]),
});

const project = z.strictObject({
  slug: z.string().min(1),
  name: z.string().min(1).optional(),
  /** Name of a registry in this file or already in the database. */
  registry: z.string().min(1),
  repository: z.string().min(1),
  notification_url: httpUrl.optional(),
  stages: z.array(stage).default([]),
});

const registry = z
  .strictObject({
    name: z.string().min(1),
    type: z.enum(REGISTRY_TYPES),
    url: httpUrl,
    username: z.string().optional(),
    token: z.string().min(1).optional(),
    token_env: envName.optional(),
  })
  .refine((value) => !(value.token && value.token_env), {
    message: "give token or token_env, not both",
    path: ["token_env"],
  });

const settings = z.strictObject({
  base_domain: z.string().optional(),
  stage_subdomain_pattern: subdomainPattern("stage").optional(),
  tag_subdomain_pattern: subdomainPattern("tag").optional(),
  docker_network: z.string().optional(),
  reach_mode: z.enum(REACH_MODES).optional(),
  host_address: z.string().optional(),
  poll_cron: checkedString((expression) => pollCronProblem(expression)).optional(),
  poll_interval_seconds: z.number().int().min(10).optional(),
  poll_jitter_seconds: z.number().int().min(0).optional(),
  deploy_concurrency: z.number().int().min(1).max(64).optional(),
  health_timeout_seconds: z.number().int().min(5).max(3600).optional(),
  notification_url: httpUrl.optional(),
  notification_secret: secretReference.optional(),
  volume_allow_list: z.array(z.string()).optional(),
  auto_create_projects: z.boolean().optional(),
  npm: z
    .strictObject({
      url: httpUrl,
      email: z.string().min(1),
      password: secretReference.optional(),
    })
    .optional(),
  webhook_secrets: z.partialRecord(z.enum(WEBHOOK_SOURCES), secretReference).optional(),
});

export const configFileSchema = z.strictObject({
  settings: settings.optional(),
  registries: z.array(registry).default([]),
  projects: z.array(project).default([]),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
export type ConfigFileInput = z.input<typeof configFileSchema>;
export type StageConfig = ConfigFile["projects"][number]["stages"][number];
export type ProjectConfig = ConfigFile["projects"][number];
export type RegistryConfig = ConfigFile["registries"][number];
export type SettingsConfig = NonNullable<ConfigFile["settings"]>;
export type StageConfigInput = z.input<typeof stage>;
