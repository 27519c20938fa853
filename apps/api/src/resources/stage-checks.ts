import { parseTagPolicy, TagPolicyError } from "@berth/registry";
import {
  type Database,
  getSettings,
  isVolumeSourceAllowed,
  type StageVolumeInput,
  volumeOutsideAllowList,
} from "@berth/store";
import { ApiError } from "../http/errors.js";

/** The stage fields that are checked beyond the request schema. */
export interface CheckedStageFields {
  policy?: unknown;
  volumes?: readonly StageVolumeInput[] | undefined;
}

/**
 * Checks what the schema cannot: the policy the way tag selection reads it, and host volumes
 * against the settings' allow-list. Failures are 422s naming the field, before anything is saved.
 */
export async function checkStageFields(db: Database, fields: CheckedStageFields): Promise<void> {
  if (fields.policy !== undefined) {
    checkPolicy(fields.policy);
  }
  if (fields.volumes !== undefined) {
    await checkVolumes(db, fields.volumes);
  }
}

function checkPolicy(policy: unknown): void {
  try {
    parseTagPolicy(policy);
  } catch (error) {
    if (error instanceof TagPolicyError) {
      throw invalidField(error.option, error.message, error);
    }
    throw error;
  }
}

async function checkVolumes(db: Database, volumes: readonly StageVolumeInput[]): Promise<void> {
  const hostVolumes = volumes
    .map((volume, index) => ({ volume, index }))
    .filter(({ volume }) => volume.kind !== "named");
  if (hostVolumes.length === 0) {
    return;
  }

  const { volumeAllowList } = await getSettings(db);
  const outside = hostVolumes.find(
    ({ volume }) => !isVolumeSourceAllowed(volume.source, volumeAllowList),
  );
  if (outside) {
    throw invalidField(
      `volumes.${outside.index}.source`,
      volumeOutsideAllowList(outside.volume.source, volumeAllowList),
    );
  }
}

function invalidField(path: string, message: string, cause?: unknown): ApiError {
  return new ApiError("validation_failed", `invalid request: ${path}: ${message}`, {
    details: { issues: [{ path, message }] },
    cause,
  });
}
