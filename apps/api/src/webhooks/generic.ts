/** The generic webhook for CI scripts: `{ "image": "host/owner/app:tag" }`. */
import { z } from "zod";
import type { ParsedDelivery } from "./delivery.js";
import { WebhookPayloadError } from "./errors.js";
import { parseImage } from "./image.js";
import { parsePayloadFields } from "./payload.js";

const genericSchema = z.object({ image: z.string().min(1).max(512) });

export function parseGenericDelivery(payload: unknown): ParsedDelivery {
  const body = parsePayloadFields(
    genericSchema,
    payload,
    "generic webhook payload",
    'send {"image": "host/owner/app:tag"}, e.g. {"image": "registry.example.test/acme/app:1.2.3"}',
  );
  const { image, tag } = parseImage(body.image);
  if (tag === undefined) {
    throw new WebhookPayloadError(
      `image ${body.image} has no tag: send host/owner/app:tag, e.g. registry.example.test/acme/app:1.2.3`,
    );
  }
  return { kind: "push", image, tag, digest: null };
}
