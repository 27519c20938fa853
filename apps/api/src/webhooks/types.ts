import type { Database, WebhookSource } from "@berth/store";
import type { Logger } from "pino";

/** A pushed tag, handed to the stage check after the webhook response was sent. */
export interface PushNotice {
  source: WebhookSource;
  /** `registry/repository`, lowercase, e.g. `ghcr.io/acme/app`. */
  image: string;
  tag: string;
  /** Id of the `webhook_deliveries` row. */
  deliveryId: string;
}

/** Result of the stage check, recorded on the delivery as `matched` or `unmatched`. */
export interface PushOutcome {
  /** Stages whose project tracks the pushed image. */
  matchedStages: number;
  /**
   * Stages among them whose include and exclude patterns match the pushed tag, as
   * `countStagesTakingTag` counts them. When set, this is the count recorded on the delivery,
   * which is `matched` only if the count is above 0.
   */
  stagesTakingTag?: number | undefined;
}

/** Outcome of a delivery: recorded, a repeat of a recent push, ignored, or rejected with an error. */
export interface DeliveryEvent {
  source: WebhookSource | undefined;
  outcome: "accepted" | "duplicate" | "ignored" | "rejected";
  /** HTTP status of the response. */
  status: number;
}

export interface WebhookDeps {
  db: Database;
  /** Decrypts a value of `settings.webhook_secrets_encrypted`. */
  decryptSecret: (ciphertext: string) => string;
  /**
   * Checks the stages that track the image; it resolves the digest from the registry and
   * writes candidates. Called after the response, once per fresh delivery.
   */
  onPush: (push: PushNotice) => Promise<PushOutcome | undefined>;
  logger?: Logger | undefined;
  now?: (() => Date) | undefined;
  /** Deliveries of one key within this many seconds count as one push. Default 120. */
  dedupeWindowSeconds?: number | undefined;
  /** Largest webhook body accepted, in bytes. Default 256 KiB. */
  maxBodyBytes?: number | undefined;
  /**
   * Runs work after the response; the default is `setImmediate`. A server passes its own to
   * await pending checks on shutdown, and tests to await them before asserting.
   */
  schedule?: ((task: () => Promise<void>) => void) | undefined;
  /** Called once per delivery with how it ended, e.g. to count deliveries by source and result. */
  onDelivery?: ((delivery: DeliveryEvent) => void) | undefined;
}
