import { eq } from "drizzle-orm";
import type { Database } from "../database.js";
import { type ReachMode, settings, type WebhookSource } from "../schema.js";
import { SecretKeyError, type Secrets } from "../secrets.js";
import type { Executor } from "./candidates.js";
import { withStoreErrors } from "./run.js";

type SettingsRow = typeof settings.$inferSelect;

/** Settings as list and get functions return them: secrets only as "is set" flags. */
export interface Settings {
  baseDomain: string | null;
  stageSubdomainPattern: string;
  tagSubdomainPattern: string;
  dockerNetwork: string;
  reachMode: ReachMode;
  hostAddress: string;
  npmUrl: string | null;
  npmEmail: string | null;
  npmPasswordSet: boolean;
  pollCron: string | null;
  pollIntervalSeconds: number;
  pollJitterSeconds: number;
  deployConcurrency: number;
  healthTimeoutSeconds: number;
  notificationUrl: string | null;
  notificationSecretSet: boolean;
  volumeAllowList: string[];
  autoCreateProjects: boolean;
  /** Webhook sources that have a secret. */
  webhookSecretSources: WebhookSource[];
  updatedAt: Date;
}

/**
 * A change to the settings. A secret field set to a string replaces the secret, `null`
 * removes it, and leaving it out keeps it.
 */
export type SettingsPatch = Partial<
  Omit<
    Settings,
    "npmPasswordSet" | "notificationSecretSet" | "webhookSecretSources" | "updatedAt"
  > & {
    npmPassword: string | null;
    notificationSecret: string | null;
    /** Replaces the secret of each listed source; `null` removes it. */
    webhookSecrets: Partial<Record<WebhookSource, string | null>>;
  }
>;

/** Settings secrets in plain text, for the deployer and the webhook receiver only. */
export interface SettingsSecrets {
  npmPassword: string | null;
  notificationSecret: string | null;
  webhookSecrets: Partial<Record<WebhookSource, string>>;
}

/** The text whose encryption is kept in `settings.secret_key_check`. */
const KEY_CHECK_TEXT = "berth secret key check";

/** Returns the settings, creating the single row with its defaults on first use. */
export async function getSettings(db: Executor): Promise<Settings> {
  return toSettings(await readRow(db));
}

/** Applies a change to the settings and returns them. */
export async function updateSettings(
  db: Executor,
  secrets: Secrets,
  patch: SettingsPatch,
): Promise<Settings> {
  const current = await readRow(db);
  const { npmPassword, notificationSecret, webhookSecrets, ...plain } = patch;
  const values: Partial<typeof settings.$inferInsert> = { ...plain, updatedAt: new Date() };
  if (npmPassword !== undefined) {
    values.npmPasswordEncrypted = npmPassword === null ? null : secrets.encrypt(npmPassword);
  }
  if (notificationSecret !== undefined) {
    values.notificationSecretEncrypted =
      notificationSecret === null ? null : secrets.encrypt(notificationSecret);
  }
  if (webhookSecrets !== undefined) {
    values.webhookSecretsEncrypted = mergeWebhookSecrets(
      current.webhookSecretsEncrypted,
      webhookSecrets,
      secrets,
    );
  }

  const [row] = await withStoreErrors(() =>
    db.update(settings).set(values).where(eq(settings.id, 1)).returning(),
  );
  return toSettings(row ?? current);
}

/** Decrypts the settings' secrets; for the deployer and the webhook receiver. */
export async function getSettingsSecrets(db: Executor, secrets: Secrets): Promise<SettingsSecrets> {
  const row = await readRow(db);
  const webhookSecrets: Partial<Record<WebhookSource, string>> = {};
  for (const [source, stored] of Object.entries(row.webhookSecretsEncrypted)) {
    if (stored) {
      webhookSecrets[source as WebhookSource] = secrets.decrypt(stored);
    }
  }
  return {
    npmPassword: decryptOrNull(secrets, row.npmPasswordEncrypted),
    notificationSecret: decryptOrNull(secrets, row.notificationSecretEncrypted),
    webhookSecrets,
  };
}

/**
 * Checks that the keyring opens this database's secrets, recording a check value the first
 * time. Throws `SecretKeyError` "BERTH_SECRET_KEY does not match the data in <location>" when
 * the key differs from the one the data was written with.
 */
export async function verifySecretKey(
  db: Database,
  secrets: Secrets,
  location: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await readRow(tx);
    if (row.secretKeyCheck === null) {
      await tx
        .update(settings)
        .set({ secretKeyCheck: secrets.encrypt(KEY_CHECK_TEXT) })
        .where(eq(settings.id, 1));
      return;
    }

    let plain: string | undefined;
    try {
      plain = secrets.decrypt(row.secretKeyCheck);
    } catch (error) {
      throw keyMismatch(location, error);
    }
    if (plain !== KEY_CHECK_TEXT) {
      throw keyMismatch(location, undefined);
    }
  });
}

function keyMismatch(location: string, cause: unknown): SecretKeyError {
  return new SecretKeyError(
    `BERTH_SECRET_KEY does not match the data in ${location}: start Berth with the key this database was created with`,
    { cause },
  );
}

async function readRow(db: Executor): Promise<SettingsRow> {
  return withStoreErrors(async () => {
    await db.insert(settings).values({ id: 1 }).onConflictDoNothing();
    const [row] = await db.select().from(settings).where(eq(settings.id, 1));
    if (!row) {
      throw new Error("the settings row is missing right after it was created");
    }
    return row;
  });
}

function mergeWebhookSecrets(
  current: Partial<Record<WebhookSource, string>>,
  changes: Partial<Record<WebhookSource, string | null>>,
  secrets: Secrets,
): Partial<Record<WebhookSource, string>> {
  const merged = { ...current };
  for (const [source, value] of Object.entries(changes) as Array<[WebhookSource, string | null]>) {
    if (value === null) {
      delete merged[source];
    } else {
      merged[source] = secrets.encrypt(value);
    }
  }
  return merged;
}

function decryptOrNull(secrets: Secrets, stored: string | null): string | null {
  return stored === null ? null : secrets.decrypt(stored);
}

function toSettings(row: SettingsRow): Settings {
  const {
    id: _id,
    npmPasswordEncrypted,
    notificationSecretEncrypted,
    webhookSecretsEncrypted,
    secretKeyCheck: _check,
    ...plain
  } = row;
  return {
    ...plain,
    npmPasswordSet: npmPasswordEncrypted !== null,
    notificationSecretSet: notificationSecretEncrypted !== null,
    webhookSecretSources: Object.keys(webhookSecretsEncrypted).sort() as WebhookSource[],
  };
}
