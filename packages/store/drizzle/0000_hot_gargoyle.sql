CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"scope" text NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_scope_check" CHECK ("api_tokens"."scope" in ('read', 'deploy', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"actor_name" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text,
	"target_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "audit_log_actor_type_check" CHECK ("audit_log"."actor_type" in ('user', 'token', 'system'))
);
--> statement-breakpoint
CREATE TABLE "deploy_logs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "deploy_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"deploy_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"step" text,
	"message" text NOT NULL,
	CONSTRAINT "deploy_logs_level_check" CHECK ("deploy_logs"."level" in ('debug', 'info', 'warn', 'error'))
);
--> statement-breakpoint
CREATE TABLE "deploys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"stage_id" uuid NOT NULL,
	"tag" text NOT NULL,
	"digest" text,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"step" text,
	"error" text,
	"requested_by" text,
	"approved_by" text,
	"source_deploy_id" uuid,
	"claimed_by" text,
	"heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deploys_status_check" CHECK ("deploys"."status" in ('pending_approval', 'queued', 'running', 'succeeded', 'failed', 'rolled_back', 'cancelled', 'rejected')),
	CONSTRAINT "deploys_trigger_check" CHECK ("deploys"."trigger" in ('poll', 'webhook', 'manual', 'redeploy', 'rollback', 'promote')),
	CONSTRAINT "deploys_digest_check" CHECK ("deploys"."digest" is null or "deploys"."digest" ~ '^[a-z0-9]+:[a-f0-9]{32,}$')
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"stage_id" uuid NOT NULL,
	"deploy_id" uuid,
	"container_id" text,
	"container_name" text NOT NULL,
	"tag" text NOT NULL,
	"digest" text NOT NULL,
	"status" text NOT NULL,
	"health" text,
	"upstream_host" text,
	"upstream_port" integer,
	"domain" text,
	"proxy_host_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone,
	CONSTRAINT "instances_status_check" CHECK ("instances"."status" in ('starting', 'running', 'stopped', 'failed', 'removed'))
);
--> statement-breakpoint
CREATE TABLE "poll_state" (
	"stage_id" uuid PRIMARY KEY NOT NULL,
	"initialized" boolean DEFAULT false NOT NULL,
	"last_tag" text,
	"last_digest" text,
	"last_polled_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"failure_streak" integer DEFAULT 0 NOT NULL,
	"next_due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "poll_state_failure_streak_check" CHECK ("poll_state"."failure_streak" >= 0)
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"registry_id" uuid NOT NULL,
	"repository" text NOT NULL,
	"notification_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_slug_check" CHECK ("projects"."slug" ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$')
);
--> statement-breakpoint
CREATE TABLE "registries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"url" text NOT NULL,
	"username" text,
	"token_encrypted" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "registries_type_check" CHECK ("registries"."type" in ('gitea', 'forgejo', 'oci', 'dockerhub', 'ghcr')),
	CONSTRAINT "registries_url_check" CHECK ("registries"."url" ~ '^https?://')
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"base_domain" text,
	"stage_subdomain_pattern" text DEFAULT '{stage}-{project}' NOT NULL,
	"tag_subdomain_pattern" text DEFAULT 'stage-{stage}-{project}-{tag}' NOT NULL,
	"docker_network" text DEFAULT 'berth' NOT NULL,
	"reach_mode" text DEFAULT 'host_port' NOT NULL,
	"host_address" text DEFAULT '127.0.0.1' NOT NULL,
	"npm_url" text,
	"npm_email" text,
	"npm_password_encrypted" text,
	"poll_cron" text,
	"poll_interval_seconds" integer DEFAULT 300 NOT NULL,
	"poll_jitter_seconds" integer DEFAULT 30 NOT NULL,
	"deploy_concurrency" integer DEFAULT 2 NOT NULL,
	"health_timeout_seconds" integer DEFAULT 120 NOT NULL,
	"notification_url" text,
	"notification_secret_encrypted" text,
	"volume_allow_list" text[] DEFAULT '{}'::text[] NOT NULL,
	"auto_create_projects" boolean DEFAULT false NOT NULL,
	"webhook_secrets_encrypted" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settings_single_row_check" CHECK ("settings"."id" = 1),
	CONSTRAINT "settings_reach_mode_check" CHECK ("settings"."reach_mode" in ('network', 'host_port')),
	CONSTRAINT "settings_poll_interval_check" CHECK ("settings"."poll_interval_seconds" >= 10),
	CONSTRAINT "settings_poll_jitter_check" CHECK ("settings"."poll_jitter_seconds" >= 0),
	CONSTRAINT "settings_deploy_concurrency_check" CHECK ("settings"."deploy_concurrency" between 1 and 64),
	CONSTRAINT "settings_health_timeout_check" CHECK ("settings"."health_timeout_seconds" between 5 and 3600)
);
--> statement-breakpoint
CREATE TABLE "stage_env" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"stage_id" uuid NOT NULL,
	"key" text NOT NULL,
	"value" text,
	"value_encrypted" text,
	"secret" boolean DEFAULT false NOT NULL,
	CONSTRAINT "stage_env_key_check" CHECK ("stage_env"."key" ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
	CONSTRAINT "stage_env_value_check" CHECK (("stage_env"."secret" and "stage_env"."value_encrypted" is not null and "stage_env"."value" is null)
        or (not "stage_env"."secret" and "stage_env"."value" is not null and "stage_env"."value_encrypted" is null))
);
--> statement-breakpoint
CREATE TABLE "stage_volumes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"stage_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"target" text NOT NULL,
	"read_only" boolean DEFAULT false NOT NULL,
	CONSTRAINT "stage_volumes_kind_check" CHECK ("stage_volumes"."kind" in ('shared', 'isolated', 'named')),
	CONSTRAINT "stage_volumes_target_check" CHECK ("stage_volumes"."target" like '/%')
);
--> statement-breakpoint
CREATE TABLE "stages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"tag_include" text[] DEFAULT '{}'::text[] NOT NULL,
	"tag_exclude" text[] DEFAULT '{}'::text[] NOT NULL,
	"policy" jsonb NOT NULL,
	"auto_deploy" boolean DEFAULT false NOT NULL,
	"promote_from_stage_id" uuid,
	"container_port" integer,
	"health_check" jsonb,
	"subdomain" text,
	"custom_domain" text,
	"max_instances" integer DEFAULT 1 NOT NULL,
	"restart_policy" text DEFAULT 'unless-stopped' NOT NULL,
	"notification_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stages_name_check" CHECK ("stages"."name" ~ '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$'),
	CONSTRAINT "stages_max_instances_check" CHECK ("stages"."max_instances" between 1 and 20),
	CONSTRAINT "stages_container_port_check" CHECK ("stages"."container_port" is null or "stages"."container_port" between 1 and 65535),
	CONSTRAINT "stages_restart_policy_check" CHECK ("stages"."restart_policy" in ('no', 'always', 'unless-stopped', 'on-failure')),
	CONSTRAINT "stages_policy_kind_check" CHECK ("stages"."policy"->>'kind' in ('semver', 'numeric', 'alphabetical', 'newest', 'digest'))
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text DEFAULT 'viewer' NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role_check" CHECK ("users"."role" in ('admin', 'operator', 'viewer'))
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"delivery_id" text,
	"dedupe_key" text NOT NULL,
	"image" text NOT NULL,
	"tag" text NOT NULL,
	"digest" text,
	"result" text DEFAULT 'pending' NOT NULL,
	"matched_stages" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_source_check" CHECK ("webhook_deliveries"."source" in ('gitea', 'forgejo', 'github', 'dockerhub', 'generic')),
	CONSTRAINT "webhook_deliveries_result_check" CHECK ("webhook_deliveries"."result" in ('pending', 'matched', 'unmatched', 'ignored', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deploy_logs" ADD CONSTRAINT "deploy_logs_deploy_id_deploys_id_fk" FOREIGN KEY ("deploy_id") REFERENCES "public"."deploys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deploys" ADD CONSTRAINT "deploys_stage_id_stages_id_fk" FOREIGN KEY ("stage_id") REFERENCES "public"."stages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_stage_id_stages_id_fk" FOREIGN KEY ("stage_id") REFERENCES "public"."stages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_deploy_id_deploys_id_fk" FOREIGN KEY ("deploy_id") REFERENCES "public"."deploys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "poll_state" ADD CONSTRAINT "poll_state_stage_id_stages_id_fk" FOREIGN KEY ("stage_id") REFERENCES "public"."stages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_registry_id_registries_id_fk" FOREIGN KEY ("registry_id") REFERENCES "public"."registries"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_env" ADD CONSTRAINT "stage_env_stage_id_stages_id_fk" FOREIGN KEY ("stage_id") REFERENCES "public"."stages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_volumes" ADD CONSTRAINT "stage_volumes_stage_id_stages_id_fk" FOREIGN KEY ("stage_id") REFERENCES "public"."stages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stages" ADD CONSTRAINT "stages_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stages" ADD CONSTRAINT "stages_promote_from_stage_id_stages_id_fk" FOREIGN KEY ("promote_from_stage_id") REFERENCES "public"."stages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "deploy_logs_deploy_idx" ON "deploy_logs" USING btree ("deploy_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "deploys_candidate_key" ON "deploys" USING btree ("stage_id","tag","digest") WHERE "deploys"."trigger" in ('poll', 'webhook');--> statement-breakpoint
CREATE UNIQUE INDEX "deploys_one_running_per_stage_key" ON "deploys" USING btree ("stage_id") WHERE "deploys"."status" = 'running';--> statement-breakpoint
CREATE INDEX "deploys_status_created_idx" ON "deploys" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "deploys_stage_created_idx" ON "deploys" USING btree ("stage_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "instances_container_name_key" ON "instances" USING btree ("container_name") WHERE "instances"."status" <> 'removed';--> statement-breakpoint
CREATE INDEX "instances_stage_idx" ON "instances" USING btree ("stage_id","created_at");--> statement-breakpoint
CREATE INDEX "poll_state_next_due_idx" ON "poll_state" USING btree ("next_due_at");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_slug_key" ON "projects" USING btree ("slug");--> statement-breakpoint
CREATE INDEX "projects_registry_repository_idx" ON "projects" USING btree ("registry_id","repository");--> statement-breakpoint
CREATE UNIQUE INDEX "registries_name_key" ON "registries" USING btree ("name");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "stage_env_stage_key_key" ON "stage_env" USING btree ("stage_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "stage_volumes_stage_target_key" ON "stage_volumes" USING btree ("stage_id","target");--> statement-breakpoint
CREATE UNIQUE INDEX "stages_project_name_key" ON "stages" USING btree ("project_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_key" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_dedupe_key" ON "webhook_deliveries" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_received_idx" ON "webhook_deliveries" USING btree ("received_at");