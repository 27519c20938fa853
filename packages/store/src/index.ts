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
export { type CandidateInput, type Executor, insertCandidate } from "./queries/candidates.js";
export {
  type ClaimedStage,
  type ClaimOptions,
  claimStages,
  type PollFailure,
  type PollSettings,
  type PollSuccess,
  readPollSettings,
  recordPollFailure,
  recordPollSuccess,
  releasePollLeases,
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
