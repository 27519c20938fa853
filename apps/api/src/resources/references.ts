import { StoreError } from "@berth/store";
import { ApiError } from "../http/errors.js";

/** Body fields that contain the id of another resource, with the request that lists valid ids. */
const REFERENCES = {
  projectId: { resource: "project", list: "GET /api/v1/projects" },
  registryId: { resource: "registry", list: "GET /api/v1/registries" },
  promoteFromStageId: { resource: "stage", list: "GET /api/v1/stages?projectId=PROJECT_ID" },
} as const;

export type ReferenceField = keyof typeof REFERENCES;

/**
 * Looks up a row a body refers to. An unknown id there is a fault in the body, so it gives
 * 422 naming the field, the id and where to find valid ids, not the 404 the lookup would give
 * on its own.
 */
export async function requireReference(
  field: ReferenceField,
  id: string,
  lookup: () => Promise<unknown>,
): Promise<void> {
  try {
    await lookup();
  } catch (error) {
    if (error instanceof StoreError && error.kind === "not_found") {
      const { resource, list } = REFERENCES[field];
      throw new ApiError(
        "validation_failed",
        `${field} ${id} not found: no ${resource} has this id. Use the id of a ${resource} from ${list}`,
        {
          details: { issues: [{ path: field, message: `no ${resource} has the id ${id}` }] },
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
