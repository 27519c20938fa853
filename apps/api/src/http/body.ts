import type { Context } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono/types";
import type { z } from "zod";
import { ApiError, validationError } from "./errors.js";

/** Default maximum request body: JSON resources are small, so 1 MiB is generous. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Rejects bodies over `maxBytes` with 413. A `Content-Length` over the limit is rejected
 * before any byte is read. A chunked body is counted while it streams and cut off at the limit.
 */
export function bodyLimit(maxBytes: number = DEFAULT_BODY_LIMIT_BYTES): MiddlewareHandler {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(
        "payload_too_large",
        `request body is larger than the limit of ${maxBytes} bytes: send a smaller body`,
        { details: { limitBytes: maxBytes } },
      );
    },
  });
}

/** True when the content type declares JSON (`application/json` or `…+json`). */
export function isJsonContentType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

/** Parses JSON text, raising a 400 that names the problem instead of a SyntaxError. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError("invalid_json", `request body is not valid JSON: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * Reads a JSON request body and validates it: 415 for another content type, 400 for invalid
 * JSON, 422 with field-level details when the schema rejects it.
 */
export async function readJsonBody<Schema extends z.ZodType>(
  c: Context,
  schema: Schema,
): Promise<z.output<Schema>> {
  const contentType = c.req.header("content-type");
  if (!isJsonContentType(contentType)) {
    throw new ApiError(
      "unsupported_media_type",
      `content type ${contentType ?? "(none)"} is not supported: send application/json`,
    );
  }
  const value = parseJsonText(await c.req.text());
  const result = schema.safeParse(value);
  if (!result.success) {
    throw validationError(result.error, value);
  }
  return result.data;
}
