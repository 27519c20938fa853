/**
 * Berth's database schema. Constraints do the guarding: a row that breaks a rule is
 * rejected by Postgres, whichever process or code path wrote it.
 *
 * Secrets are stored only in columns ending in `_encrypted` (see `secrets.ts`).
 */
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** SQL list literal for a check constraint: `'a', 'b'`. */
function sqlList(values: readonly string[]) {
  return sql.raw(values.map((value) => `'${value}'`).join(", "));
}

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

/** Triggers that come from detection; only these are deduplicated per (stage, tag, digest). */
export const AUTOMATIC_TRIGGERS = ["poll", "webhook"] as const;
export const DEPLOY_TRIGGERS = [
  ...AUTOMATIC_TRIGGERS,
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

export const REACH_MODES = ["network", "host_port"] as const;
export type ReachMode = (typeof REACH_MODES)[number];

export const WEBHOOK_SOURCES = ["gitea", "forgejo", "github", "dockerhub", "generic"] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

export const WEBHOOK_RESULTS = ["pending", "matched", "unmatched", "ignored", "failed"] as const;
export type WebhookResult = (typeof WEBHOOK_RESULTS)[number];

export const USER_ROLES = ["admin", "operator", "viewer"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const TOKEN_SCOPES = ["read", "deploy", "admin"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Tag selection policy of a stage. The `kind` names are stored in rows and written in
 * YAML files, so they never change.
 */
export type TagPolicy =
  | { kind: "semver"; range?: string; allowPrerelease?: boolean }
  | { kind: "numeric"; extract?: string }
  | { kind: "alphabetical" }
  | { kind: "newest" }
  | { kind: "digest" };

/** HTTP health check used when the image has no HEALTHCHECK of its own. */
export interface HttpHealthCheck {
  path: string;
  expectedStatus: number;
  intervalSeconds: number;
  timeoutSeconds: number;
}

export const registries = pgTable(
  "registries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    type: text("type").$type<RegistryType>().notNull(),
    url: text("url").notNull(),
    username: text("username"),
    tokenEncrypted: text("token_encrypted"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("registries_name_key").on(table.name),
    check("registries_type_check", sql`${table.type} in (${sqlList(REGISTRY_TYPES)})`),
    check("registries_url_check", sql`${table.url} ~ '^https?://'`),
  ],
);

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    slug: text("slug").notNull(),
    name: text("name").notNull(),
    registryId: uuid("registry_id")
      .notNull()
      .references(() => registries.id, { onDelete: "restrict" }),
    /** Image repository inside the registry, e.g. `acme/shop`. */
    repository: text("repository").notNull(),
    notificationUrl: text("notification_url"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("projects_slug_key").on(table.slug),
    index("projects_registry_repository_idx").on(table.registryId, table.repository),
    check("projects_slug_check", sql`${table.slug} ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'`),
  ],
);

export const stages = pgTable(
  "stages",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    tagInclude: text("tag_include").array().notNull().default(sql`'{}'::text[]`),
    tagExclude: text("tag_exclude").array().notNull().default(sql`'{}'::text[]`),
    policy: jsonb("policy").$type<TagPolicy>().notNull(),
    autoDeploy: boolean("auto_deploy").notNull().default(false),
    promoteFromStageId: uuid("promote_from_stage_id").references((): AnyPgColumn => stages.id, {
      onDelete: "set null",
    }),
    /** Port the container listens on; the proxy host forwards to it. */
    containerPort: integer("container_port"),
    healthCheck: jsonb("health_check").$type<HttpHealthCheck>(),
    subdomain: text("subdomain"),
    customDomain: text("custom_domain"),
    maxInstances: integer("max_instances").notNull().default(1),
    restartPolicy: text("restart_policy").notNull().default("unless-stopped"),
    notificationUrl: text("notification_url"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("stages_project_name_key").on(table.projectId, table.name),
    check("stages_name_check", sql`${table.name} ~ '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$'`),
    check("stages_max_instances_check", sql`${table.maxInstances} between 1 and 20`),
    check(
      "stages_container_port_check",
      sql`${table.containerPort} is null or ${table.containerPort} between 1 and 65535`,
    ),
    check(
      "stages_restart_policy_check",
      sql`${table.restartPolicy} in ('no', 'always', 'unless-stopped', 'on-failure')`,
    ),
    check(
      "stages_policy_kind_check",
      sql`${table.policy}->>'kind' in ('semver', 'numeric', 'alphabetical', 'newest', 'digest')`,
    ),
  ],
);

export const stageEnv = pgTable(
  "stage_env",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    stageId: uuid("stage_id")
      .notNull()
      .references(() => stages.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value"),
    valueEncrypted: text("value_encrypted"),
    secret: boolean("secret").notNull().default(false),
  },
  (table) => [
    uniqueIndex("stage_env_stage_key_key").on(table.stageId, table.key),
    check("stage_env_key_check", sql`${table.key} ~ '^[A-Za-z_][A-Za-z0-9_]*$'`),
    // A secret lives only in the encrypted column, a plain value only in `value`.
    check(
      "stage_env_value_check",
      sql`(${table.secret} and ${table.valueEncrypted} is not null and ${table.value} is null)
        or (not ${table.secret} and ${table.value} is not null and ${table.valueEncrypted} is null)`,
    ),
  ],
);

export const stageVolumes = pgTable(
  "stage_volumes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    stageId: uuid("stage_id")
      .notNull()
      .references(() => stages.id, { onDelete: "cascade" }),
    /** `shared`: one host path for all instances; `isolated`: a sub-folder per instance; `named`: a Docker volume. */
    kind: text("kind").$type<VolumeKind>().notNull(),
    source: text("source").notNull(),
    target: text("target").notNull(),
    readOnly: boolean("read_only").notNull().default(false),
  },
  (table) => [
    uniqueIndex("stage_volumes_stage_target_key").on(table.stageId, table.target),
    check("stage_volumes_kind_check", sql`${table.kind} in (${sqlList(VOLUME_KINDS)})`),
    check("stage_volumes_target_check", sql`${table.target} like '/%'`),
  ],
);

/** Global settings: exactly one row, id 1. */
export const settings = pgTable(
  "settings",
  {
    id: integer("id").primaryKey().default(1),
    baseDomain: text("base_domain"),
    /** Subdomain of a stage's default host; placeholders `{stage}`, `{project}`. */
    stageSubdomainPattern: text("stage_subdomain_pattern").notNull().default("{stage}-{project}"),
    /** Subdomain of one instance; placeholders `{stage}`, `{project}`, `{tag}`. */
    tagSubdomainPattern: text("tag_subdomain_pattern")
      .notNull()
      .default("stage-{stage}-{project}-{tag}"),
    dockerNetwork: text("docker_network").notNull().default("berth"),
    reachMode: text("reach_mode").$type<ReachMode>().notNull().default("host_port"),
    /** Address Berth uses to reach published ports when `reach_mode` is `host_port`. */
    hostAddress: text("host_address").notNull().default("127.0.0.1"),
    npmUrl: text("npm_url"),
    npmEmail: text("npm_email"),
    npmPasswordEncrypted: text("npm_password_encrypted"),
    pollCron: text("poll_cron"),
    pollIntervalSeconds: integer("poll_interval_seconds").notNull().default(300),
    pollJitterSeconds: integer("poll_jitter_seconds").notNull().default(30),
    deployConcurrency: integer("deploy_concurrency").notNull().default(2),
    healthTimeoutSeconds: integer("health_timeout_seconds").notNull().default(120),
    notificationUrl: text("notification_url"),
    notificationSecretEncrypted: text("notification_secret_encrypted"),
    volumeAllowList: text("volume_allow_list").array().notNull().default(sql`'{}'::text[]`),
    autoCreateProjects: boolean("auto_create_projects").notNull().default(false),
    webhookSecretsEncrypted: jsonb("webhook_secrets_encrypted")
      .$type<Partial<Record<WebhookSource, string>>>()
      .notNull()
      .default({}),
    /**
     * A known text encrypted under the secret key, so a start with a different key fails at
     * once instead of decrypting garbage later.
     */
    secretKeyCheck: text("secret_key_check"),
    updatedAt: updatedAt(),
  },
  (table) => [
    check("settings_single_row_check", sql`${table.id} = 1`),
    check("settings_reach_mode_check", sql`${table.reachMode} in (${sqlList(REACH_MODES)})`),
    check("settings_poll_interval_check", sql`${table.pollIntervalSeconds} >= 10`),
    check("settings_poll_jitter_check", sql`${table.pollJitterSeconds} >= 0`),
    check("settings_deploy_concurrency_check", sql`${table.deployConcurrency} between 1 and 64`),
    check("settings_health_timeout_check", sql`${table.healthTimeoutSeconds} between 5 and 3600`),
  ],
);

/** What the poller last saw for a stage, and its lease. One row per stage. */
export const pollState = pgTable(
  "poll_state",
  {
    stageId: uuid("stage_id")
      .primaryKey()
      .references(() => stages.id, { onDelete: "cascade" }),
    /** False until the first poll has recorded what exists; that poll deploys nothing. */
    initialized: boolean("initialized").notNull().default(false),
    lastTag: text("last_tag"),
    lastDigest: text("last_digest"),
    lastPolledAt: timestamp("last_polled_at", { withTimezone: true }),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    failureStreak: integer("failure_streak").notNull().default(0),
    nextDueAt: timestamp("next_due_at", { withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    lockedBy: text("locked_by"),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("poll_state_next_due_idx").on(table.nextDueAt),
    check("poll_state_failure_streak_check", sql`${table.failureStreak} >= 0`),
  ],
);

export const deploys = pgTable(
  "deploys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    stageId: uuid("stage_id")
      .notNull()
      .references(() => stages.id, { onDelete: "cascade" }),
    tag: text("tag").notNull(),
    /** Manifest digest the deploy is pinned to; null only until a manual deploy resolves it. */
    digest: text("digest"),
    trigger: text("trigger").$type<DeployTrigger>().notNull(),
    status: text("status").$type<DeployStatus>().notNull(),
    /** The step running now, or the one that failed. */
    step: text("step"),
    error: text("error"),
    requestedBy: text("requested_by"),
    approvedBy: text("approved_by"),
    /** For rollback, redeploy and promote: the deploy whose digest this one runs. */
    sourceDeployId: uuid("source_deploy_id"),
    claimedBy: text("claimed_by"),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    createdAt: createdAt(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (table) => [
    // A webhook and a poll racing for the same image produce one deploy.
    uniqueIndex("deploys_candidate_key")
      .on(table.stageId, table.tag, table.digest)
      .where(sql`${table.trigger} in ('poll', 'webhook')`),
    // At most one deploy runs per stage, whatever process claimed it.
    uniqueIndex("deploys_one_running_per_stage_key")
      .on(table.stageId)
      .where(sql`${table.status} = 'running'`),
    index("deploys_status_created_idx").on(table.status, table.createdAt),
    index("deploys_stage_created_idx").on(table.stageId, table.createdAt),
    check("deploys_status_check", sql`${table.status} in (${sqlList(DEPLOY_STATUSES)})`),
    check("deploys_trigger_check", sql`${table.trigger} in (${sqlList(DEPLOY_TRIGGERS)})`),
    check(
      "deploys_digest_check",
      sql`${table.digest} is null or ${table.digest} ~ '^[a-z0-9]+:[a-f0-9]{32,}$'`,
    ),
  ],
);

export const deployLogs = pgTable(
  "deploy_logs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deployId: uuid("deploy_id")
      .notNull()
      .references(() => deploys.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    level: text("level").$type<LogLevel>().notNull().default("info"),
    step: text("step"),
    message: text("message").notNull(),
  },
  (table) => [
    index("deploy_logs_deploy_idx").on(table.deployId, table.id),
    check("deploy_logs_level_check", sql`${table.level} in (${sqlList(LOG_LEVELS)})`),
  ],
);

export const instances = pgTable(
  "instances",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    stageId: uuid("stage_id")
      .notNull()
      .references(() => stages.id, { onDelete: "cascade" }),
    deployId: uuid("deploy_id").references(() => deploys.id, { onDelete: "set null" }),
    containerId: text("container_id"),
    containerName: text("container_name").notNull(),
    tag: text("tag").notNull(),
    digest: text("digest").notNull(),
    status: text("status").$type<InstanceStatus>().notNull(),
    health: text("health"),
    /** Where Berth and the proxy reach the container: a host and port. */
    upstreamHost: text("upstream_host"),
    upstreamPort: integer("upstream_port"),
    domain: text("domain"),
    proxyHostId: integer("proxy_host_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    stoppedAt: timestamp("stopped_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("instances_container_name_key")
      .on(table.containerName)
      .where(sql`${table.status} <> 'removed'`),
    index("instances_stage_idx").on(table.stageId, table.createdAt),
    check("instances_status_check", sql`${table.status} in (${sqlList(INSTANCE_STATUSES)})`),
  ],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    source: text("source").$type<WebhookSource>().notNull(),
    /** The sender's delivery id header, when it sends one. */
    deliveryId: text("delivery_id"),
    /** Source, image and tag (and digest when known): one push makes one key, however many deliveries. */
    dedupeKey: text("dedupe_key").notNull(),
    image: text("image").notNull(),
    tag: text("tag").notNull(),
    digest: text("digest"),
    result: text("result").$type<WebhookResult>().notNull().default("pending"),
    matchedStages: integer("matched_stages").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
    error: text("error"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp("processed_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("webhook_deliveries_dedupe_key").on(table.dedupeKey),
    index("webhook_deliveries_received_idx").on(table.receivedAt),
    check("webhook_deliveries_source_check", sql`${table.source} in (${sqlList(WEBHOOK_SOURCES)})`),
    check("webhook_deliveries_result_check", sql`${table.result} in (${sqlList(WEBHOOK_RESULTS)})`),
  ],
);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role").$type<UserRole>().notNull().default("viewer"),
    disabled: boolean("disabled").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("users_username_key").on(sql`lower(${table.username})`),
    check("users_role_check", sql`${table.role} in (${sqlList(USER_ROLES)})`),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    /** SHA-256 of the cookie value; the value itself is never stored. */
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index("sessions_user_idx").on(table.userId)],
);

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** SHA-256 of the token; the token is shown once at creation and never stored. */
    tokenHash: text("token_hash").notNull(),
    /** First characters of the token, so a person can tell tokens apart. */
    prefix: text("prefix").notNull(),
    scope: text("scope").$type<TokenScope>().notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /**
     * The one project the token may reach, or null for every project. Deleting the project
     * deletes the token, so a token never outlives its project and moves to a new one.
     */
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (table) => [
    uniqueIndex("api_tokens_token_hash_key").on(table.tokenHash),
    check("api_tokens_scope_check", sql`${table.scope} in (${sqlList(TOKEN_SCOPES)})`),
  ],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorType: text("actor_type").$type<"user" | "token" | "system">().notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (table) => [
    index("audit_log_at_idx").on(table.at),
    check("audit_log_actor_type_check", sql`${table.actorType} in ('user', 'token', 'system')`),
  ],
);

export const LOGIN_KEY_KINDS = ["user", "address"] as const;
export type LoginKeyKind = (typeof LOGIN_KEY_KINDS)[number];

/**
 * Failed logins per user name and per client address, shared by every Berth process on the
 * database. One row per key keeps the check and the count in one upsert (`countLoginFailure`).
 */
export const loginFailures = pgTable(
  "login_failures",
  {
    kind: text("kind").$type<LoginKeyKind>().notNull(),
    /** The lower-cased user name or the client address. */
    key: text("key").notNull(),
    /** Times of the failures still inside the window, oldest first and never more than the limit. */
    failedAt: timestamp("failed_at", { withTimezone: true }).array().notNull(),
    /** Time of the newest attempt counted. The row is deleted once this leaves the window. */
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.kind, table.key] }),
    index("login_failures_last_attempt_at_idx").on(table.lastAttemptAt),
    check("login_failures_kind_check", sql`${table.kind} in (${sqlList(LOGIN_KEY_KINDS)})`),
  ],
);
