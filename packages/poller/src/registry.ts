import {
  createRegistry,
  createTagFilter,
  isRegistryError,
  type SelectTagOptions,
  selectTag,
  shortDigest,
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

/**
 * Digest lookups one stage may spend per poll on selected tags that turn out to point to
 * the running image. Each one is a manifest HEAD, and the lookups are shared by the
 * image's stages within a check.
 */
const MAX_SAME_IMAGE_LOOKUPS = 10;

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
  return selectByRank(options, listed, digestOf);
}

/**
 * Selects for a ranking policy (semver, numeric, alphabetical, newest). A tag list carries
 * no digests, so the selected tag's digest is resolved and compared with the running one.
 * A tag on the running image (`latest` beside the commit tag it copies) is no update: its
 * digest is added to the list and the selection is made again, which skips it and ranks
 * the next tag. Only selected tags are resolved, never the whole list.
 */
async function selectByRank(
  options: Omit<SelectTagOptions, "tags">,
  listed: TagInput[],
  digestOf: (tag: string) => Promise<string>,
): Promise<Selection> {
  const running = options.currentDigest ?? undefined;
  let tags = listed;
  for (let lookups = 1; ; lookups += 1) {
    const selection = selectTag({ ...options, tags });
    if (selection.selected === null) {
      return { selected: null, reason: selection.reason };
    }

    const tag = selection.selected;
    const digest = selection.digest ?? (await digestOf(tag));
    if (digest !== running) {
      return { selected: { tag, digest }, reason: selection.reason };
    }
    if (lookups >= MAX_SAME_IMAGE_LOOKUPS) {
      // NOTE: a new image that ranks below this many tags of the running image is not found.
      return {
        selected: null,
        reason: `${tag} and ${lookups - 1} higher tags point to the running digest ${shortDigest(digest)}; no update, and lower tags were not checked`,
      };
    }
    tags = withDigest(tags, tag, digest);
  }
}

function withDigest(tags: TagInput[], name: string, digest: string): TagInput[] {
  return tags.map((tag) =>
    typeof tag !== "string" && tag.name === name ? { ...tag, digest } : tag,
  );
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
  const selection = selectTag({ ...options, tags: withDigest(listed, watched, digest) });
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
