import { createTagFilter } from "@berth/registry";

/** A stage's tag patterns, as stored on the stage. */
export interface StagePatterns {
  tagInclude: readonly string[];
  tagExclude: readonly string[];
}

/**
 * Counts the stages whose include and exclude patterns take `tag`. The filter is built as the
 * poller builds it for a check, so the count agrees with what the check selects from.
 *
 * @throws TagPolicyError when a stored pattern does not compile, naming the pattern.
 */
export function countStagesTakingTag(stages: readonly StagePatterns[], tag: string): number {
  return stages.filter((stage) =>
    createTagFilter({ include: stage.tagInclude, exclude: stage.tagExclude }).matches(tag),
  ).length;
}
