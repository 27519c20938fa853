import { StoreError } from "@berth/store";
import { ApiError } from "../http/errors.js";

/**
 * Looks up a row a body refers to. An unknown id there is a fault in the body, so it gives
 * 422 naming the field, not the 404 the lookup would give on its own.
 */
export async function requireReference(
  field: string,
  id: string,
  lookup: () => Promise<unknown>,
): Promise<void> {
  try {
    await lookup();
  } catch (error) {
    if (error instanceof StoreError && error.kind === "not_found") {
      throw new ApiError(
        "validation_failed",
        `${field} ${id} not found: use the id of an existing row`,
        {
          details: { issues: [{ path: field, message: `${id} not found` }] },
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Runs a delete and turns a block by rows that still refer to the target into a 409 naming the fix. */
export async function deleteOrExplain(
  target: string,
  remove: () => Promise<void>,
  blockers: string,
): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (error instanceof StoreError && error.kind === "foreign_key_violation") {
      throw new ApiError(
        "conflict",
        `${target} is still used by ${blockers}: delete or move them first`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
