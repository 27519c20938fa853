/**
 * The API's one error shape, `{ "error": { "code", "message", "details" } }`, and the one
 * place that chooses status codes for errors thrown anywhere below a route.
 */
import { StoreError, type StoreErrorKind, toStoreError } from "@berth/store";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import { z } from "zod";
import { fieldIssues } from "./field-issues.js";
import { takenMessage } from "./unique-violations.js";

export { type FieldIssue, fieldIssues } from "./field-issues.js";

/** Machine-readable error codes; clients branch on these, never on messages. */
export const API_ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details: unknown };
}

/** An error a route throws on purpose; the error handler turns it into a response. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ApiErrorCode;
  readonly details: unknown;
  /** Extra response headers, e.g. `Retry-After` on 429. */
  readonly headers: Record<string, string>;

  constructor(
    code: ApiErrorCode,
    message: string,
    options: { details?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): ContentfulStatusCode {
    return API_ERROR_STATUS[this.code];
  }
}

const CODE_BY_STORE_KIND: Record<StoreErrorKind, ApiErrorCode> = {
  not_found: "not_found",
  unique_violation: "conflict",
  foreign_key_violation: "conflict",
  check_violation: "validation_failed",
  not_null_violation: "validation_failed",
  connection: "unavailable",
  other: "internal",
};

const CODE_BY_HTTP_STATUS: Partial<Record<number, ApiErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "rate_limited",
  503: "unavailable",
};

/**
 * Builds the 422 for a request that failed its schema. Give the validated `input` where it is
 * at hand, so each message names the value received; without it, zod's messages are kept.
 */
export function validationError(error: z.ZodError, input?: unknown): ApiError {
  const issues = fieldIssues(error, input);
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  return new ApiError("validation_failed", `invalid request: ${summary}`, {
    details: { issues },
    cause: error,
  });
}

/**
 * Throws the 422 for a request that failed validation, as the `defaultHook` of an OpenAPIHono
 * app. Its validator (`@hono/zod-validator` 0.9) passes the input as `data` on failure too,
 * though the hook's type leaves it out.
 */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError },
): void {
  if (!result.success) {
    throw validationError(result.error, "data" in result ? result.data : undefined);
  }
}

/** Converts anything thrown below a route into an `ApiError`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  if (error instanceof z.ZodError) {
    return validationError(error);
  }
  if (error instanceof StoreError) {
    return storeApiError(error);
  }
  if (error instanceof HTTPException) {
    // Hono's JSON validator rejects unparseable bodies with a 400 HTTPException.
    const malformedJson = error.status === 400 && error.message.startsWith("Malformed JSON");
    const code = malformedJson ? "invalid_json" : (CODE_BY_HTTP_STATUS[error.status] ?? "internal");
    return new ApiError(code, error.message || code, { cause: error });
  }
  // Queries that skip the store's wrappers throw the driver's error as it is.
  const storeError = toStoreError(error);
  if (storeError.kind === "connection") {
    return storeApiError(storeError);
  }
  return new ApiError("internal", "internal error: the server log has the details", {
    cause: error,
  });
}

function storeApiError(error: StoreError): ApiError {
  const code = CODE_BY_STORE_KIND[error.kind];
  if (code === "internal" || code === "unavailable") {
    // Driver messages can quote SQL and values, so they stay in the log.
    const message =
      code === "unavailable"
        ? "database unavailable: try again shortly"
        : "internal error: the server log has the details";
    return new ApiError(code, message, { cause: error });
  }
  const taken =
    error.kind === "unique_violation" && error.constraint
      ? takenMessage(error.constraint, error.cause)
      : undefined;
  return new ApiError(code, taken ?? error.message, {
    details: error.constraint ? { constraint: error.constraint } : null,
    cause: error,
  });
}

/** Builds the JSON response for an error. */
export function errorResponse(c: Context, error: ApiError): Response {
  const body: ErrorBody = {
    error: { code: error.code, message: error.message, details: error.details },
  };
  for (const [name, value] of Object.entries(error.headers)) {
    c.header(name, value);
  }
  return c.json(body, error.status);
}

/**
 * Creates the app's `onError` handler. Server-side failures (5xx) are logged with their
 * cause; client errors are not, because they are the caller's to fix.
 */
export function errorHandler(options: { logger?: Logger | undefined } = {}): ErrorHandler {
  return (error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      options.logger?.error(
        { err: error, method: c.req.method, path: redactPath(c.req.path) },
        "request failed",
      );
    }
    return errorResponse(c, apiError);
  };
}

/** Webhook URLs that carry their secret as the last path segment. */
const SECRET_IN_PATH = /(\/hooks\/(?:dockerhub|generic))\/[^/]+/;

/** Replaces a webhook secret in a request path, so the path can be logged. */
export function redactPath(path: string): string {
  return path.replace(SECRET_IN_PATH, "$1/<secret>");
}

/** Returns a 404 in the error shape for unknown routes. */
export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(
    c,
    new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}: check the path`),
  );
