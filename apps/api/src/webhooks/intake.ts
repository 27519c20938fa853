import { recordDelivery, setDeliveryOutcome, type WebhookSource } from "@berth/store";
import type { Context } from "hono";
import type { ParsedDelivery } from "./delivery.js";
import type { PushNotice, WebhookDeps } from "./types.js";

/**
 * Deliveries of one source, image, tag (and digest when the payload has one) within two
 * minutes are one push: Docker Hub sends up to six deliveries for one multi-arch push within
 * about a minute. A later push of the same tag is checked again.
 */
export const DEFAULT_DEDUPE_WINDOW_SECONDS = 120;

function runAfterResponse(task: () => Promise<void>): void {
  setImmediate(() => {
    void task();
  });
}

/**
 * Responds to a parsed delivery with 200 and the reason when it is ignored. Otherwise it
 * records the delivery, responds 202, and checks the stages after the response unless the
 * delivery repeats a recent push.
 */
export async function acceptDelivery(
  c: Context,
  deps: WebhookDeps,
  source: WebhookSource,
  parsed: ParsedDelivery,
  senderDeliveryId: string | undefined,
): Promise<Response> {
  if (parsed.kind === "ignored") {
    deps.logger?.debug({ source, reason: parsed.reason }, "webhook delivery ignored");
    deps.onDelivery?.({ source, outcome: "ignored", status: 200 });
    return c.json({ status: "ignored", reason: parsed.reason }, 200);
  }

  const now = deps.now?.() ?? new Date();
  const dedupeKey = [source, parsed.image, parsed.tag, parsed.digest].filter(Boolean).join("|");
  const recorded = await recordDelivery(
    deps.db,
    {
      source,
      deliveryId: senderDeliveryId ?? null,
      dedupeKey,
      image: parsed.image,
      tag: parsed.tag,
      digest: parsed.digest,
      receivedAt: now,
    },
    deps.dedupeWindowSeconds ?? DEFAULT_DEDUPE_WINDOW_SECONDS,
  );

  const push = { source, image: parsed.image, tag: parsed.tag, deliveryId: recorded.id };
  if (recorded.fresh) {
    (deps.schedule ?? runAfterResponse)(() => checkStages(deps, push));
  }
  deps.logger?.info(
    {
      source,
      image: parsed.image,
      tag: parsed.tag,
      delivery: recorded.id,
      duplicate: !recorded.fresh,
    },
    "webhook delivery accepted",
  );
  deps.onDelivery?.({ source, outcome: recorded.fresh ? "accepted" : "duplicate", status: 202 });
  return c.json(
    {
      status: recorded.fresh ? "accepted" : "duplicate",
      delivery: { id: recorded.id, image: parsed.image, tag: parsed.tag },
    },
    202,
  );
}

/** Runs `onPush` and records its outcome. Failures are logged and stored instead of thrown. */
async function checkStages(deps: WebhookDeps, push: PushNotice): Promise<void> {
  const processedAt = () => deps.now?.() ?? new Date();
  try {
    const outcome = await deps.onPush(push);
    const stages = outcome?.stagesTakingTag ?? outcome?.matchedStages ?? 0;
    if (outcome && stages === 0 && outcome.matchedStages > 0) {
      deps.logger?.info(
        { source: push.source, image: push.image, tag: push.tag, delivery: push.deliveryId },
        "no stage's tag pattern matches the pushed tag",
      );
    }
    await setDeliveryOutcome(deps.db, push.deliveryId, {
      result: stages > 0 ? "matched" : "unmatched",
      matchedStages: stages,
      processedAt: processedAt(),
    });
  } catch (error) {
    deps.logger?.error(
      {
        err: error,
        source: push.source,
        image: push.image,
        tag: push.tag,
        delivery: push.deliveryId,
      },
      "webhook stage check failed",
    );
    const message = error instanceof Error ? error.message : String(error);
    await setDeliveryOutcome(deps.db, push.deliveryId, {
      result: "failed",
      error: message,
      processedAt: processedAt(),
    }).catch((recordError: unknown) => {
      deps.logger?.error(
        { err: recordError, delivery: push.deliveryId },
        "webhook outcome not recorded",
      );
    });
  }
}
