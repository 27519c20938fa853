import type { FieldIssue } from "../http/field-issues.js";

/**
 * A webhook payload that is well-formed JSON but cannot be used, reported as 422. `issues`
 * lists the fields that failed the payload's schema, when a schema check found the problem.
 */
export class WebhookPayloadError extends Error {
  override readonly name = "WebhookPayloadError";
  readonly issues: readonly FieldIssue[] | undefined;

  constructor(message: string, options: { issues?: readonly FieldIssue[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.issues = options.issues;
  }
}
