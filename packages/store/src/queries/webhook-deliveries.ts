import { and, desc, eq, lt, sql } from "drizzle-orm";
import { settings, type WebhookResult, type WebhookSource, webhookDeliveries } from "../schema.js";
import type { Executor } from "./candidates.js";

export interface DeliveryInput {
  source: WebhookSource;
  /** The sender's delivery id header, when it sends one. */
  deliveryId: string | null;
  /** Source, image and tag (and digest when the payload has one). */
  dedupeKey: string;
  image: string;
  tag: string;
  digest: string | null;
  receivedAt: Date;
}

export interface RecordedDelivery {
  id: string;
  /** True for the first delivery of its key within the window; false for a duplicate. */
  fresh: boolean;
  duplicates: number;
}

/**
 * Records a delivery, or counts it as a duplicate of the row with the same key when that row
 * was received less than `windowSeconds` ago. A key seen again after the window starts over
 * (new id, result `pending`), so a later push of the same tag is checked again.
 *
 * The decision happens in one `INSERT … ON CONFLICT DO UPDATE`, which locks the conflicting
 * row, so concurrent deliveries of one push (in one process or several) make one fresh row.
 */
export async function recordDelivery(
  db: Executor,
  delivery: DeliveryInput,
  windowSeconds: number,
): Promise<RecordedDelivery> {
  const now = sql`${delivery.receivedAt.toISOString()}::timestamptz`;
  const withinWindow = sql`${webhookDeliveries.receivedAt} > ${now} - make_interval(secs => ${windowSeconds})`;
  const [row] = await db
    .insert(webhookDeliveries)
    .values(delivery)
    .onConflictDoUpdate({
      target: webhookDeliveries.dedupeKey,
      set: {
        id: sql`case when ${withinWindow} then ${webhookDeliveries.id} else gen_random_uuid() end`,
        duplicates: sql`case when ${withinWindow} then ${webhookDeliveries.duplicates} + 1 else 0 end`,
        deliveryId: sql`case when ${withinWindow} then ${webhookDeliveries.deliveryId} else excluded.delivery_id end`,
        digest: sql`case when ${withinWindow} then ${webhookDeliveries.digest} else excluded.digest end`,
        result: sql`case when ${withinWindow} then ${webhookDeliveries.result} else 'pending' end`,
        matchedStages: sql`case when ${withinWindow} then ${webhookDeliveries.matchedStages} else 0 end`,
        error: sql`case when ${withinWindow} then ${webhookDeliveries.error} else null end`,
        processedAt: sql`case when ${withinWindow} then ${webhookDeliveries.processedAt} else null end`,
        receivedAt: sql`case when ${withinWindow} then ${webhookDeliveries.receivedAt} else ${now} end`,
      },
    })
    .returning({ id: webhookDeliveries.id, duplicates: webhookDeliveries.duplicates });
  if (!row) {
    throw new Error(`webhook delivery ${delivery.dedupeKey} was not recorded`);
  }
  return { id: row.id, fresh: row.duplicates === 0, duplicates: row.duplicates };
}

export interface DeliveryOutcome {
  result: Exclude<WebhookResult, "pending">;
  matchedStages?: number | undefined;
  error?: string | undefined;
  processedAt: Date;
}

/** Stores what checking a delivery's stages found. */
export async function setDeliveryOutcome(
  db: Executor,
  id: string,
  outcome: DeliveryOutcome,
): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({
      result: outcome.result,
      matchedStages: outcome.matchedStages ?? 0,
      error: outcome.error ?? null,
      processedAt: outcome.processedAt,
    })
    .where(eq(webhookDeliveries.id, id));
}

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;

export interface ListDeliveriesOptions {
  limit: number;
  result?: WebhookResult | undefined;
  /** `receivedAt` of the last row of the previous page. */
  before?: Date | undefined;
}

/** Lists deliveries, newest first. */
export async function listDeliveries(
  db: Executor,
  options: ListDeliveriesOptions,
): Promise<WebhookDelivery[]> {
  const conditions = [
    options.result ? eq(webhookDeliveries.result, options.result) : undefined,
    options.before ? lt(webhookDeliveries.receivedAt, options.before) : undefined,
  ];
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.receivedAt))
    .limit(options.limit);
}

/** Returns the encrypted webhook secret of each source that has one. */
export async function getWebhookSecretsEncrypted(
  db: Executor,
): Promise<Partial<Record<WebhookSource, string>>> {
  const [row] = await db
    .select({ secrets: settings.webhookSecretsEncrypted })
    .from(settings)
    .where(eq(settings.id, 1));
  return row?.secrets ?? {};
}

/** Stores one source's encrypted webhook secret, creating the settings row if needed. */
export async function setWebhookSecretEncrypted(
  db: Executor,
  source: WebhookSource,
  ciphertext: string,
): Promise<void> {
  const entry = JSON.stringify({ [source]: ciphertext });
  await db
    .insert(settings)
    .values({ id: 1, webhookSecretsEncrypted: { [source]: ciphertext } })
    .onConflictDoUpdate({
      target: settings.id,
      set: {
        webhookSecretsEncrypted: sql`${settings.webhookSecretsEncrypted} || ${entry}::jsonb`,
        updatedAt: sql`now()`,
      },
    });
}
