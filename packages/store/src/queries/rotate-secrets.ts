import { eq, isNotNull } from "drizzle-orm";
import type { Database } from "../database.js";
import { registries, settings, stageEnv, type WebhookSource } from "../schema.js";
import type { Secrets } from "../secrets.js";

/**
 * Re-encrypts every stored secret that is not yet under the keyring's newest key version, in
 * one transaction, and returns how many values it rewrote. After it ran with
 * `BERTH_SECRET_KEY=v2:NEW,v1:OLD`, the old key can be dropped from the variable.
 * Throws `SecretKeyError` when a value opens with no key of the keyring.
 */
export async function reencryptSecrets(db: Database, secrets: Secrets): Promise<number> {
  return db.transaction(async (tx) => {
    let rewritten = 0;
    const rotate = (stored: string): string => {
      rewritten += 1;
      return secrets.encrypt(secrets.decrypt(stored));
    };

    const tokens = await tx
      .select({ id: registries.id, stored: registries.tokenEncrypted })
      .from(registries)
      .where(isNotNull(registries.tokenEncrypted));
    for (const { id, stored } of tokens) {
      if (stored && !secrets.isCurrent(stored)) {
        await tx
          .update(registries)
          .set({ tokenEncrypted: rotate(stored) })
          .where(eq(registries.id, id));
      }
    }

    const variables = await tx
      .select({ id: stageEnv.id, stored: stageEnv.valueEncrypted })
      .from(stageEnv)
      .where(isNotNull(stageEnv.valueEncrypted));
    for (const { id, stored } of variables) {
      if (stored && !secrets.isCurrent(stored)) {
        await tx
          .update(stageEnv)
          .set({ valueEncrypted: rotate(stored) })
          .where(eq(stageEnv.id, id));
      }
    }

    const [row] = await tx.select().from(settings).where(eq(settings.id, 1));
    if (row) {
      const current = (stored: string | null) =>
        stored === null || secrets.isCurrent(stored) ? stored : rotate(stored);
      const webhookSecrets: Partial<Record<WebhookSource, string>> = {};
      for (const [source, stored] of Object.entries(row.webhookSecretsEncrypted)) {
        if (stored) {
          webhookSecrets[source as WebhookSource] = current(stored) ?? stored;
        }
      }
      const before = rewritten;
      const values = {
        npmPasswordEncrypted: current(row.npmPasswordEncrypted),
        notificationSecretEncrypted: current(row.notificationSecretEncrypted),
        secretKeyCheck: current(row.secretKeyCheck),
        webhookSecretsEncrypted: webhookSecrets,
      };
      if (rewritten > before) {
        await tx.update(settings).set(values).where(eq(settings.id, 1));
      }
    }
    return rewritten;
  });
}
