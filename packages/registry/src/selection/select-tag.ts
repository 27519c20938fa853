import { createTagFilter, type TagFilter, type TagFilterOptions } from "../tag-filter.js";
import { selectByDigest } from "./digest-watch.js";
import { parseTagPolicy, type TagPolicy } from "./policy.js";
import {
  alphabeticalRanker,
  compareStrings,
  newestRanker,
  numericRanker,
  type Ranker,
  type RankerContext,
  semverRanker,
} from "./rankers.js";
import { normaliseTags, type TagInfo, type TagInput } from "./tags.js";

export interface SelectTagOptions extends TagFilterOptions {
  /** Tags in any order, as the registry returned them. */
  tags: readonly TagInput[];
  policy: TagPolicy;
  /** The tag the stage runs now. Selection never moves below it. */
  current?: string | null | undefined;
  /** The manifest digest the stage runs now; a tag with the same digest is no update. */
  currentDigest?: string | null | undefined;
  /** A filter made by `createTagFilter`; when given, `include`, `exclude` and `caseSensitive` are ignored. */
  filter?: TagFilter | undefined;
}

export interface TagSelection {
  /** The tag to move to, or `null` when nothing qualifies or nothing ranks above `current`. */
  selected: string | null;
  /** The selected tag's digest, when the registry reported it. */
  digest?: string;
  /** One sentence for the dashboard: what was picked and why, or why nothing was. */
  reason: string;
  /** Tags that qualify under the filter and policy, best first. */
  candidates: TagInfo[];
}

/** A ranked tag. */
interface Entry<K> {
  tag: TagInfo;
  key: K;
}

interface Skipped<K> {
  tag: TagInfo;
  reason: string;
  key?: K | undefined;
}

/**
 * Picks the tag a stage should move to. An empty tag list or no matching tag gives `null`
 * with a reason, never an exception. The result never ranks below `current`, whatever order
 * the registry returned the tags in.
 *
 * @throws TagPolicyError when the filter or policy is invalid, or a numeric `extract`
 *   captures something that is not a number.
 */
export function selectTag(options: SelectTagOptions): TagSelection {
  const filter = options.filter ?? createTagFilter(options);
  const policy = parseTagPolicy(options.policy);
  const tags = normaliseTags(options.tags);
  if (tags.length === 0) {
    return { selected: null, reason: "the registry returned no tags", candidates: [] };
  }

  const matched = tags.filter((tag) => filter.matches(tag.name));
  if (matched.length === 0) {
    return {
      selected: null,
      reason: `no tag${filter.describe() || " other than signatures and attestations"} among ${countTags(tags.length)}`,
      candidates: [],
    };
  }

  const current = findCurrent(tags, options.current, options.currentDigest);
  if (policy.kind === "digest") {
    return selectByDigest({ matched, current, filter });
  }

  const context: RankerContext = { filter, current, matched };
  switch (policy.kind) {
    case "semver":
      return rankAndSelect(semverRanker(policy, context), context);
    case "numeric":
      return rankAndSelect(numericRanker(policy, context), context);
    case "alphabetical":
      return rankAndSelect(alphabeticalRanker(), context);
    case "newest":
      return rankAndSelect(newestRanker(), context);
  }
}

function findCurrent(
  tags: TagInfo[],
  name: string | null | undefined,
  digest: string | null | undefined,
): TagInfo | undefined {
  if (!name) {
    return undefined;
  }
  const listed = tags.find((tag) => tag.name === name);
  const current: TagInfo = { ...(listed ?? { name }) };
  if (digest) {
    current.digest = digest;
  }
  return current;
}

function rankAndSelect<K>(ranker: Ranker<K>, context: RankerContext): TagSelection {
  const { current, filter } = context;
  const candidates: Entry<K>[] = [];
  const skipped: Skipped<K>[] = [];
  for (const tag of context.matched) {
    const ranking = ranker.rank(tag);
    if (isSameImage(tag, current)) {
      // The rank is kept, so the reason can name a higher tag that points to the running image.
      skipped.push({ tag, reason: `same image as ${current?.name}`, key: ranking.key });
      continue;
    }
    if (ranking.skip === undefined) {
      candidates.push({ tag, key: ranking.key });
    } else {
      skipped.push({ tag, reason: ranking.skip, key: ranking.key });
    }
  }

  const order = (a: Entry<K>, b: Entry<K>) =>
    ranker.compare(b.key, a.key) || compareStrings(b.tag.name, a.tag.name);
  candidates.sort(order);
  const ranked = candidates.map((entry) => entry.tag);
  const best = candidates[0];
  const description = filter.describe();
  if (!best) {
    return {
      selected: null,
      reason: `no tag${description} qualifies: ${summariseSkips(skipped)}`,
      candidates: ranked,
    };
  }

  const skippedAbove = describeSkippedAbove(ranker, skipped, best.key);
  const currentKey = current ? ranker.rank(current).key : undefined;
  if (current && currentKey !== undefined && order(best, { tag: current, key: currentKey }) >= 0) {
    return {
      selected: null,
      reason: `${current.name} is already the ${ranker.best}${description}${skippedAbove}`,
      candidates: ranked,
    };
  }

  const unranked =
    current && currentKey === undefined
      ? `; the current tag ${current.name} has no rank under this policy`
      : "";
  return {
    selected: best.tag.name,
    ...(best.tag.digest ? { digest: best.tag.digest } : {}),
    reason: `${best.tag.name} is the ${ranker.best}${description}${skippedAbove}${unranked}`,
    candidates: ranked,
  };
}

function isSameImage(tag: TagInfo, current: TagInfo | undefined): boolean {
  return (
    current?.digest !== undefined && tag.name !== current.name && tag.digest === current.digest
  );
}

/** Names up to two skipped tags that would have ranked above the choice, best first. */
function describeSkippedAbove<K>(ranker: Ranker<K>, skipped: Skipped<K>[], bestKey: K): string {
  const above = skipped.filter(
    (entry): entry is Skipped<K> & { key: K } =>
      entry.key !== undefined && ranker.compare(entry.key, bestKey) > 0,
  );
  above.sort((a, b) => ranker.compare(b.key, a.key) || compareStrings(b.tag.name, a.tag.name));
  const named = above.slice(0, 2).map((entry) => `; ${entry.tag.name} skipped: ${entry.reason}`);
  const more = above.length > 2 ? `; ${above.length - 2} more higher tags skipped` : "";
  return `${named.join("")}${more}`;
}

/** Counts skip reasons: `pre-release (3), not a version (1)`. */
function summariseSkips<K>(skipped: Skipped<K>[]): string {
  const counts = new Map<string, number>();
  for (const entry of skipped) {
    counts.set(entry.reason, (counts.get(entry.reason) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason, count]) => `${reason} (${count})`)
    .join(", ");
}

function countTags(count: number): string {
  return count === 1 ? "1 tag" : `${count} tags`;
}
