/** The generic webhook for CI scripts: `{ "image": "host/owner/app:tag" }`. */
import { z } from "zod";
import type { ParsedDelivery } from "./delivery.js";
import { WebhookPayloadError } from "./errors.js";
import { imageName, parseImage } from "./image.js";

const genericSchema = z.object({ image: z.string().min(1).max(512) });

export function parseGenericDelivery(payload: unknown): ParsedDelivery {
  const body = genericSchema.parse(payload);
  const reference = parseImage(body.image);
  if (reference.tag === undefined) {
    throw new WebhookPayloadError(
      `image ${body.image} has no tag: send host/owner/app:tag, e.g. registry.example.test/acme/app:1.2.3`,
    );
  }
  return { kind: "push", image: imageName(reference), tag: reference.tag, digest: null };
}
