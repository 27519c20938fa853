export {
  type Database,
  type DatabaseEngine,
  type DatabaseHandle,
  MIGRATIONS_FOLDER,
  type OpenDatabaseOptions,
  openDatabase,
} from "./database.js";
export * from "./schema.js";
