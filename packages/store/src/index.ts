export {
  ConfigFileError,
  type Environment,
  exportConfig,
  type ImportOptions,
  type ImportSummary,
  importConfig,
  type TagPatternCheck,
} from "./config-file/index.js";
export {
  type Database,
  type DatabaseEngine,
  type DatabaseHandle,
  type DatabaseStatus,
  MIGRATIONS_FOLDER,
  type MigrationStatus,
  type OpenDatabaseOptions,
  openDatabase,
  shippedMigrations,
} from "./database.js";
export {
  type DatabaseServer,
  describeServer,
  parseDatabaseUrl,
} from "./database-url.js";
export { notFound, StoreError, type StoreErrorKind, toStoreError } from "./errors.js";
export { MIN_POLL_GAP_SECONDS, pollCronProblem } from "./poll-cron.js";
export {
  type ApiTokenSummary,
  createApiToken,
  getApiToken,
  listApiTokens,
  type NewApiToken,
  revokeApiToken,
  type TokenOwner,
  useApiToken,
} from "./queries/api-tokens.js";
export {
  type AuditActorType,
  type AuditEntry,
  type AuditEntryInput,
  insertAuditEntry,
  listAuditEntries,
} from "./queries/audit-log.js";
export { type CandidateInput, type Executor, insertCandidate } from "./queries/candidates.js";
export {
  appendDeployLog,
  type DeployLogEntry,
  type DeployLogInput,
  listDeployLogs,
} from "./queries/deploy-logs.js";
export {
  type ClaimDeployOptions,
  claimNextDeploy,
  type Deploy,
  FINISHED_DEPLOY_STATUSES,
  type FinishDeployInput,
  findSucceededDeploy,
  finishDeploy,
  getDeploy,
  listInterruptedDeploys,
  listStageDeploys,
  type QueueDeployInput,
  queueDeploy,
  setDeployDigest,
  setDeployStep,
  touchDeploys,
  transitionDeploy,
} from "./queries/deploys.js";
export {
  findInstanceByContainerName,
  getInstance,
  type Instance,
  type InstanceInput,
  type InstancePatch,
  insertInstance,
  LIVE_INSTANCE_STATUSES,
  listDeployInstances,
  listLiveInstances,
  stageOwnsProxyHost,
  updateInstance,
} from "./queries/instances.js";
export {
  countLoginFailure,
  deleteLoginFailures,
  deleteStaleLoginFailures,
  type LoginFailureKey,
  type LoginFailureWindow,
  type RecentLoginFailures,
  readLoginFailures,
  removeLoginFailure,
} from "./queries/login-failures.js";
export {
  type ClaimedStage,
  type ClaimOptions,
  claimStages,
  findPolledStageIds,
  listPollStatus,
  type PollFailure,
  type PollSettings,
  type PollStatus,
  type PollSuccess,
  pullDueTimesForward,
  readPollSettings,
  recordFirstPolls,
  recordPollFailure,
  recordPollSuccess,
  recordUnchangedPolls,
  releaseOwnerLeases,
  releasePollLeases,
  renewPollLeases,
} from "./queries/poll-state.js";
export {
  createProject,
  deleteProject,
  getProject,
  getProjectBySlug,
  listProjects,
  type Project,
  type ProjectInput,
  type ProjectPatch,
  updateProject,
} from "./queries/projects.js";
export {
  type ClaimStaleDeployOptions,
  claimStaleDeploy,
  releaseStaleDeploy,
} from "./queries/recovery-claims.js";
export {
  createRegistry,
  deleteRegistry,
  getRegistry,
  getRegistryByName,
  getRegistryCredentials,
  listRegistries,
  type Registry,
  type RegistryCredentials,
  type RegistryInput,
  type RegistryPatch,
  updateRegistry,
} from "./queries/registries.js";
export { reencryptSecrets } from "./queries/rotate-secrets.js";
export {
  createSession,
  deleteExpiredSessions,
  deleteSession,
  deleteUserSessions,
  type NewSession,
  type SessionUser,
  touchSession,
} from "./queries/sessions.js";
export {
  getSettings,
  getSettingsSecrets,
  type Settings,
  type SettingsPatch,
  type SettingsSecrets,
  updateSettings,
  verifySecretKey,
} from "./queries/settings.js";
export {
  createStage,
  deleteStage,
  getStage,
  getStageByName,
  getStageEnvForDeploy,
  listStages,
  type Stage,
  type StageEnvInput,
  type StageEnvVar,
  type StageInput,
  type StagePatch,
  type StageVolume,
  type StageVolumeInput,
  updateStage,
} from "./queries/stages.js";
export {
  countUsersWithRole,
  createUser,
  deleteUser,
  findUserCredentials,
  getUser,
  listUsers,
  type NewUser,
  type UserCredentials,
  type UserPatch,
  type UserSummary,
  updateUser,
} from "./queries/users.js";
export {
  type DeliveryInput,
  type DeliveryOutcome,
  getWebhookSecretsEncrypted,
  type ListDeliveriesOptions,
  listDeliveries,
  type RecordedDelivery,
  recordDelivery,
  setDeliveryOutcome,
  setWebhookSecretEncrypted,
  type WebhookDelivery,
} from "./queries/webhook-deliveries.js";
export * from "./schema.js";
export {
  createSecrets,
  generateSecretKey,
  parseKeyring,
  parseSecretKey,
  readOrCreateKeyFile,
  type SecretKey,
  SecretKeyError,
  type Secrets,
} from "./secrets.js";
export {
  SUBDOMAIN_PLACEHOLDERS,
  type SubdomainPatternKind,
  subdomainPatternProblem,
} from "./subdomain-pattern.js";
export { isVolumeSourceAllowed, volumeOutsideAllowList } from "./volume-allow-list.js";
