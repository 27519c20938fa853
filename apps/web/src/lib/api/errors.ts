/** One field that failed validation, as the API lists it in `error.details.issues`. */
export interface FieldIssue {
  path: string;
  message: string;
}

/**
 * A failed API request: the API's error code and message, or for a response that is not the
 * API's error shape (a proxy's 502 page, a dropped connection), a message naming the request.
 */
export class ApiRequestError extends Error {
  override readonly name = "ApiRequestError";
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details: unknown = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Field-level messages of a 422, keyed by dotted path such as `policy.range`. */
  get fieldErrors(): Record<string, string> {
    return fieldErrorsOf(this.details);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Reads `{ issues: [{ path, message }] }`; the first message per path wins. */
export function fieldErrorsOf(details: unknown): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!isRecord(details) || !Array.isArray(details.issues)) {
    return errors;
  }
  for (const issue of details.issues) {
    if (isRecord(issue) && typeof issue.path === "string" && typeof issue.message === "string") {
      errors[issue.path] ??= issue.message;
    }
  }
  return errors;
}

/**
 * Builds the error for a non-2xx response from its status and parsed body. The API's shape
 * is `{ error: { code, message, details } }`; anything else gets a message with the status.
 */
export function errorFromResponse(
  method: string,
  path: string,
  status: number,
  body: unknown,
): ApiRequestError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error && typeof error.message === "string") {
    const code = typeof error.code === "string" ? error.code : `http_${status}`;
    return new ApiRequestError(status, code, error.message, error.details ?? null);
  }
  return new ApiRequestError(
    status,
    `http_${status}`,
    `${method} ${path} failed with HTTP ${status} and no error message: check that Berth is running`,
  );
}

/** Text to show for anything a request threw. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
