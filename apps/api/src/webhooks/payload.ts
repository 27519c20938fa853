/** Schema checks for webhook payloads, with errors that name the field and the sender's setting. */
import type { z } from "zod";
import { fieldIssues } from "../http/field-issues.js";
import { WebhookPayloadError } from "./errors.js";

/**
 * Parses `payload` with `schema`. A payload that does not fit throws a `WebhookPayloadError`
 * that names `payloadName`, then each field with what was expected and what arrived, then
 * `hint`, which names what to check at the sender.
 */
export function parsePayloadFields<T>(
  schema: z.ZodType<T>,
  payload: unknown,
  payloadName: string,
  hint: string,
): T {
  const result = schema.safeParse(payload);
  if (result.success) {
    return result.data;
  }
  const issues = fieldIssues(result.error, payload);
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  throw new WebhookPayloadError(`invalid ${payloadName} (${summary}): ${hint}`, {
    issues,
    cause: result.error,
  });
}
