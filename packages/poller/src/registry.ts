import {
  createRegistry,
  isRegistryError,
  type SelectTagOptions,
  selectTag,
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
