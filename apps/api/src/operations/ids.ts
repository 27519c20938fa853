import { z } from "@hono/zod-openapi";
import { ApiError } from "../http/errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const IdParams = z.object({
  id: z.string().openapi({
    param: { name: "id", in: "path" },
    example: "4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60",
  }),
});

/** A malformed id names no row, so it is a 404 like an unknown one. */
export function requireId(kind: string, id: string): string {
  if (!UUID.test(id)) {
    throw new ApiError("not_found", `${kind} ${id} not found: ids are UUIDs, check the id`);
  }
  return id;
}
