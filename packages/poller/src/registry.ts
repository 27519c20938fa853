import { createRegistry, RegistryError, selectTag } from "@berth/registry";
import type { ClaimedStage } from "@berth/store";
import type { RegistryClient, RegistryConnection } from "./types.js";

/** The tag a stage should be on, and why, in words a person can read. */
export interface Selection {
  selected: string | null;
  reason: string;
}

type ListedTags = Awaited<ReturnType<RegistryClient["listTags"]>>;

/**
 * Selects the tag for one stage from its image's tag list with the stage's own patterns
 * and policy. A digest stage watches one tag whatever was seen before, so it selects
 * without a current tag; the other policies never move below the stage's last tag.
 */
export function selectForStage(stage: ClaimedStage, tags: ListedTags): Selection {
  const watchesDigest = stage.policy.kind === "digest";
  const result = selectTag({
    tags: tags.map((tag) => ({ name: tag.name, createdAt: tag.createdAt })),
    include: stage.tagInclude,
    exclude: stage.tagExclude,
    policy: stage.policy,
    current: watchesDigest ? null : stage.state.lastTag,
  });
  return { selected: result.selected, reason: result.reason };
}

/**
 * Returns the pause a rate-limited registry asked for: `{ retryAfterSeconds }` (undefined
 * when it gave none) for a 429, or `undefined` for any other error.
 */
export function rateLimitOf(error: unknown): { retryAfterSeconds: number | undefined } | undefined {
  if (error instanceof RegistryError && error.kind === "rate_limited") {
    return { retryAfterSeconds: error.retryAfterSeconds ?? undefined };
  }
  return undefined;
}

/** Creates the registry package's client for a connection: the default `registries`. */
export function createDefaultClient(connection: RegistryConnection): RegistryClient {
  return createRegistry(connection);
}
