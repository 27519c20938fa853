import {
  createRegistry,
  createTagFilter,
  isRegistryError,
  type SelectTagOptions,
  selectTag,
  type TagFilter,
  type TagInput,
} from "@berth/registry";
import type { ClaimedStage } from "@berth/store";
import type { ListedTags, RegistryClient, RegistryConnection } from "./types.js";

/** The tag and digest a stage should be on, or null, and why in words a person can read. */
export interface Selection {
  selected: { tag: string; digest: string } | null;
  reason: string;
}

/**
 * Selects the tag for one stage from its image's tag list with the stage's own patterns
 * and policy, against the tag and digest it last saw, and resolves the digest the result
 * needs through `digestOf`.
 */
export async function selectForStage(
  stage: ClaimedStage,
  tags: ListedTags,
  digestOf: (tag: string) => Promise<string>,
  undated?: string,
): Promise<Selection> {
  const selection = await selectWithPolicy(stage, tags, digestOf);
  return stage.policy.kind === "newest" && undated !== undefined
    ? { ...selection, reason: `${selection.reason}; ${undated}` }
    : selection;
}

/**
 * Joins the filters of the image's newest stages, so one `addCreatedAt` call dates every
 * tag any of them ranks. Returns `undefined` when no stage uses the newest policy. A stage
 * with invalid patterns is left out, because its own selection reports them.
 */
export function newestStagesFilter(
  stages: readonly ClaimedStage[],
): { matches(tag: string): boolean } | undefined {
  const newest = stages.filter((stage) => stage.policy.kind === "newest");
  if (newest.length === 0) {
    return undefined;
  }
  const filters: TagFilter[] = [];
  for (const stage of newest) {
    try {
      filters.push(createTagFilter({ include: stage.tagInclude, exclude: stage.tagExclude }));
    } catch {
      // Reported by the stage's selection, which builds the same filter.
    }
  }
  return { matches: (tag) => filters.some((filter) => filter.matches(tag)) };
}

async function selectWithPolicy(
  stage: ClaimedStage,
  tags: ListedTags,
  digestOf: (tag: string) => Promise<string>,
): Promise<Selection> {
  const options: Omit<SelectTagOptions, "tags"> = {
    include: stage.tagInclude,
    exclude: stage.tagExclude,
    policy: stage.policy,
    current: stage.state.lastTag,
    currentDigest: stage.state.lastDigest,
  };
  const listed: TagInput[] = tags.map((tag) => ({ name: tag.name, createdAt: tag.createdAt }));

  if (stage.policy.kind === "digest") {
    return selectByDigest(options, listed, digestOf);
  }
  const selection = selectTag({ ...options, tags: listed });
  if (selection.selected === null) {
    return { selected: null, reason: selection.reason };
  }
  const digest = selection.digest ?? (await digestOf(selection.selected));
  return { selected: { tag: selection.selected, digest }, reason: selection.reason };
}

/**
 * Selects for a digest stage, which compares the digest of the one tag it watches. A tag
 * list carries no digests, so a first selection names the watched tag (its only
 * candidate), and the selection is made again once that tag's digest is resolved.
 */
async function selectByDigest(
  options: Omit<SelectTagOptions, "tags">,
  listed: TagInput[],
  digestOf: (tag: string) => Promise<string>,
): Promise<Selection> {
  const probe = selectTag({ ...options, tags: listed });
  const watched = probe.candidates[0]?.name;
  if (watched === undefined) {
    return { selected: null, reason: probe.reason };
  }

  const digest = await digestOf(watched);
  const withDigest = listed.map((tag) =>
    typeof tag !== "string" && tag.name === watched ? { ...tag, digest } : tag,
  );
  const selection = selectTag({ ...options, tags: withDigest });
  if (selection.selected === null) {
    return { selected: null, reason: selection.reason };
  }
  return {
    selected: { tag: selection.selected, digest: selection.digest ?? digest },
    reason: selection.reason,
  };
}

/**
 * Returns the pause a rate-limited registry requested: `{ retryAfterSeconds }` (undefined
 * when it gave none) for a 429, or `undefined` for any other error.
 */
export function rateLimitOf(error: unknown): { retryAfterSeconds: number | undefined } | undefined {
  if (isRegistryError(error, "rate_limited")) {
    return { retryAfterSeconds: error.retryAfterSeconds };
  }
  return undefined;
}

/** Creates the registry package's client for a connection: the default `registries`. */
export function createDefaultClient(connection: RegistryConnection): RegistryClient {
  return createRegistry({ ...connection, timeoutMs: Math.ceil(connection.timeoutMs) });
}
