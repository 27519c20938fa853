import type { TagFilter } from "../tag-filter.js";
import type { TagSelection } from "./select-tag.js";
import type { TagInfo } from "./tags.js";

/**
 * Applies the `digest` policy: one mutable tag (`latest`, `2`) watched for a new manifest digest.
 * The watched tag is the current tag, or else the include pattern when it is a single plain
 * tag. `selected` is the watched tag when its digest differs from the running one (or none
 * runs yet), else `null`.
 */
export function selectByDigest(input: {
  matched: readonly TagInfo[];
  current: TagInfo | undefined;
  filter: TagFilter;
}): TagSelection {
  const { matched, current, filter } = input;
  const watchedName = watchedTag(filter, current?.name);
  if (watchedName === undefined) {
    return {
      selected: null,
      reason:
        "the digest policy watches one tag: set the current tag or a single include pattern without wildcards",
      candidates: [],
    };
  }

  const watched = matched.find((tag) => tag.name === watchedName);
  if (!watched) {
    return {
      selected: null,
      reason: `${watchedName} is not among the registry's tags${filter.describe()}`,
      candidates: [],
    };
  }
  if (watched.digest === undefined) {
    return {
      selected: null,
      reason: `the registry reported no digest for ${watchedName}`,
      candidates: [watched],
    };
  }

  const running = current?.digest;
  const digest = watched.digest;
  if (running === digest) {
    return {
      selected: null,
      reason: `${watchedName} still points to ${shortDigest(digest)}`,
      candidates: [watched],
    };
  }
  const was = running === undefined ? "" : ` (was ${shortDigest(running)})`;
  return {
    selected: watchedName,
    digest,
    reason: `${watchedName} points to a new digest ${shortDigest(digest)}${was}`,
    candidates: [watched],
  };
}

/**
 * Returns the tag the digest policy watches: the current tag, or else the include pattern
 * when it is one plain tag without wildcards.
 */
export function watchedTag(
  filter: TagFilter,
  current: string | null | undefined,
): string | undefined {
  if (current) {
    return current;
  }
  const [only, ...others] = filter.include;
  if (only === undefined || others.length > 0 || /[*?[\]{}()!@+|]/.test(only)) {
    return undefined;
  }
  return only;
}

/** `sha256:` and the first 12 hex digits, enough to tell digests apart in a sentence. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(":");
  return digest.slice(0, colon + 13);
}
