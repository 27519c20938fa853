import type { z } from "@hono/zod-openapi";
import { ErrorSchema } from "./schemas.js";

/** Declares a required JSON request body. Being required makes a body of another content type fail with 415. */
export function jsonBody<Schema extends z.ZodType>(schema: Schema) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

export function jsonResponse<Schema extends z.ZodType>(schema: Schema, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const errorResponse = (description: string) => jsonResponse(ErrorSchema, description);

/** Error responses every authenticated route can give. */
export const AUTH_ERRORS = {
  401: errorResponse("No valid session or API token"),
  403: errorResponse("Role or token scope too low, or a cross-site request"),
} as const;

/** Error responses of routes that write a validated body. */
export const WRITE_ERRORS = {
  ...AUTH_ERRORS,
  409: errorResponse("Conflicts with an existing row, e.g. a name already taken"),
  413: errorResponse("Body larger than the limit"),
  415: errorResponse("Body is not application/json"),
  422: errorResponse("Body failed validation; details.issues lists the fields"),
} as const;

export const NOT_FOUND = { 404: errorResponse("No row has this id") } as const;
