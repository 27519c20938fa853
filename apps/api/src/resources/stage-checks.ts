import { checkTagPattern, parseTagPolicy, TagPolicyError } from "@berth/registry";
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
  tagInclude?: readonly string[] | undefined;
  tagExclude?: readonly string[] | undefined;
  policy?: unknown;
  volumes?: readonly StageVolumeInput[] | undefined;
}

/**
 * Checks what the schema cannot: tag patterns the way the poller compiles them, the policy
 * the way tag selection reads it, and host volumes against the settings' allow-list.
 * Failures are 422s naming the field, before anything is saved.
 */
export async function checkStageFields(db: Database, fields: CheckedStageFields): Promise<void> {
  checkPatterns("tagInclude", "include", fields.tagInclude);
  checkPatterns("tagExclude", "exclude", fields.tagExclude);
  if (fields.policy !== undefined) {
    checkPolicy(fields.policy);
  }
  if (fields.volumes !== undefined) {
    await checkVolumes(db, fields.volumes);
  }
}

function checkPatterns(
  field: string,
  option: "include" | "exclude",
  patterns: readonly string[] | undefined,
): void {
  for (const [index, pattern] of (patterns ?? []).entries()) {
    const problem = tagPatternProblem(pattern, option);
    if (problem !== undefined) {
      throw invalidField(`${field}.${index}`, problem);
    }
  }
}

/**
 * Returns what is wrong with one include or exclude pattern, or `undefined` when the poller
 * can use it. `berth import` passes it to the store, which cannot use the registry package.
 */
export function tagPatternProblem(
  pattern: string,
  option: "include" | "exclude",
): string | undefined {
  try {
    checkTagPattern(pattern, option);
    return undefined;
  } catch (error) {
    if (error instanceof TagPolicyError) {
      return error.message;
    }
    throw error;
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
