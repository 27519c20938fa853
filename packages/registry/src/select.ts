/**
 * The pure part of @berth/registry: image references, tag filters and tag selection. It has
 * no Node imports and no HTTP client, so the dashboard can import it in the browser through
 * `@berth/registry/select`.
 */
export { ImageReferenceError, TagPolicyError } from "./config-errors.js";
export {
  DOCKER_HUB,
  DOCKER_HUB_API_HOST,
  formatImageReference,
  type ImageReference,
  parseImageReference,
  registryApiHost,
  registryAuthKeys,
} from "./reference.js";
export { shortDigest } from "./selection/digest-watch.js";
export {
  type NumericPolicy,
  parseTagPolicy,
  type SemverPolicy,
  TAG_POLICY_KINDS,
  type TagPolicy,
} from "./selection/policy.js";
export { type SelectTagOptions, selectTag, type TagSelection } from "./selection/select-tag.js";
export type { TagInfo, TagInput } from "./selection/tags.js";
export { compareVersions, parseTagVersion, type TagVersion } from "./selection/version.js";
export {
  BUILT_IN_EXCLUDES,
  checkTagPattern,
  createTagFilter,
  type TagFilter,
  type TagFilterOptions,
} from "./tag-filter.js";
