/** A webhook payload that is well-formed JSON but cannot be used, reported as 422. */
export class WebhookPayloadError extends Error {
  override readonly name = "WebhookPayloadError";
}
