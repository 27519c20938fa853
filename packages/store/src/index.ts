export {
  type Database,
  type DatabaseEngine,
  type DatabaseHandle,
  MIGRATIONS_FOLDER,
  type OpenDatabaseOptions,
  openDatabase,
} from "./database.js";
export { notFound, StoreError, type StoreErrorKind, toStoreError } from "./errors.js";
export { type CandidateInput, type Executor, insertCandidate } from "./queries/candidates.js";
export * from "./schema.js";
