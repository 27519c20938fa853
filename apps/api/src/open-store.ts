import path from "node:path";
import {
  createSecrets,
  type DatabaseHandle,
  openDatabase,
  parseKeyring,
  readOrCreateKeyFile,
  reencryptSecrets,
  type Secrets,
  verifySecretKey,
} from "@berth/store";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { lockDataDir } from "./data-dir-lock.js";

/** An open, migrated database with the secret keyring that matches its data. */
export interface Store {
  database: DatabaseHandle;
  secrets: Secrets;
  /** True when this start created the database's tables. */
  created: boolean;
  /** Closes the database and releases the data directory. */
  close(): Promise<void>;
}

/** Returns the paths of the embedded database (`<data dir>/db`) and its key (`<data dir>/secret.key`). */
export function embeddedPaths(dataDir: string): { database: string; keyFile: string } {
  return { database: path.join(dataDir, "db"), keyFile: path.join(dataDir, "secret.key") };
}

/**
 * Opens the database, applies pending migrations and checks the secret key against the data.
 * On the embedded database without `BERTH_SECRET_KEY`, the key comes from the data directory's
 * key file, generated on first start. Closes the database again if any step fails.
 */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const paths = embeddedPaths(config.dataDir);
  const unlock = config.databaseUrl ? async () => {} : await lockDataDir(config.dataDir);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: paths.database }).catch(
    async (error: unknown) => {
      await unlock();
      throw error;
    },
  );
  const close = async () => {
    await database.close();
    await unlock();
  };

  try {
    const before = await database.status();
    await database.migrate();
    const created = before.migration?.applied === 0;
    logger.info(
      {
        engine: database.engine,
        location: database.location,
        migration: (await database.status()).migration,
      },
      created ? "database created" : "database opened",
    );

    const secrets = createSecrets(config.secretKeys ?? (await keyFromFile(paths.keyFile, logger)));
    await verifySecretKey(database.db, secrets, database.location);
    if (config.secretKeys && config.secretKeys.length > 1) {
      await finishRotation(database, secrets, logger);
    }
    return { database, secrets, created, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Re-encrypts secrets under the newest key while BERTH_SECRET_KEY lists several versions. */
async function finishRotation(database: DatabaseHandle, secrets: Secrets, logger: Logger) {
  const rewritten = await reencryptSecrets(database.db, secrets);
  logger.info(
    { rewritten },
    "every stored secret is encrypted with the newest key: older key versions can be removed from BERTH_SECRET_KEY",
  );
}

async function keyFromFile(file: string, logger: Logger) {
  const { key, created } = await readOrCreateKeyFile(file);
  if (created) {
    logger.warn(
      { keyFile: file },
      "generated a secret key because BERTH_SECRET_KEY is not set: back up this file with the data, since the stored secrets cannot be read without it",
    );
  }
  return parseKeyring(key, `the key file ${file}`);
}
