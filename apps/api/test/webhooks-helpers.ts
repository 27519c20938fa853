import {
  type Database,
  setWebhookSecretEncrypted,
  type WebhookSource,
  webhookDeliveries,
} from "@berth/store";
import { webhookRoutes } from "../src/webhooks/routes.js";
import { hmacSha256Hex } from "../src/webhooks/signature.js";
import type { PushNotice, PushOutcome, WebhookDeps } from "../src/webhooks/types.js";
import { testApp } from "./helpers.js";

export const SECRET = "s3cret-webhook-key";

/** Stand-ins for the store helper's AES-GCM functions: the route only passes values through. */
const encryptSecret = (plain: string) => `test-encrypted:${plain}`;
const decryptSecret = (ciphertext: string) => ciphertext.replace(/^test-encrypted:/, "");

export async function configureSecret(db: Database, source: WebhookSource, secret = SECRET) {
  await setWebhookSecretEncrypted(db, source, encryptSecret(secret));
}

/**
 * Mounts the webhook routes under `/hooks` on a test app. `pushes` collects what `onPush` received;
 * `settle()` waits for the work scheduled after the responses.
 */
export function webhookApp(db: Database, overrides: Partial<WebhookDeps> = {}) {
  const pushes: PushNotice[] = [];
  const pending: Array<Promise<void>> = [];
  let outcome: () => Promise<PushOutcome | undefined> = async () => ({ matchedStages: 1 });
  const app = testApp();
  app.route(
    "/hooks",
    webhookRoutes({
      db,
      decryptSecret,
      onPush: async (push) => {
        pushes.push(push);
        return outcome();
      },
      schedule: (task) => {
        pending.push(task());
      },
      ...overrides,
    }),
  );
  return {
    app,
    pushes,
    setOutcome(next: () => Promise<PushOutcome | undefined>) {
      outcome = next;
    },
    async settle() {
      await Promise.all(pending);
    },
  };
}

export async function deliveries(db: Database) {
  return db.select().from(webhookDeliveries).orderBy(webhookDeliveries.receivedAt);
}

export function sign(body: string, secret = SECRET): string {
  return hmacSha256Hex(secret, new TextEncoder().encode(body));
}
