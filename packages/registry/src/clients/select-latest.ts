import type { LatestTagOptions, Registry, RegistryTag } from "../registry.js";
import { watchedTag } from "../selection/digest-watch.js";
import { selectTag, type TagSelection } from "../selection/select-tag.js";
import type { TagInput } from "../selection/tags.js";
import { createTagFilter, type TagFilter } from "../tag-filter.js";

/**
 * Selects from listed tags and resolves what the result needs: for the newest policy the
 * matching tags' creation times first, for the digest policy the watched tag's digest
 * before selecting, otherwise the selected tag's digest after.
 */
export async function selectWithDigests(
  registry: Registry,
  repository: string,
  listed: RegistryTag[],
  options: LatestTagOptions,
): Promise<TagSelection> {
  const filter = options.filter ?? createTagFilter(options);
  if (options.policy.kind !== "newest") {
    return await selectFromTags(registry, repository, listed, { ...options, filter });
  }

  const dated = await registry.addCreatedAt(repository, listed, {
    filter,
    signal: options.signal,
  });
  const selection = await selectFromTags(registry, repository, dated.tags, { ...options, filter });
  return dated.undated === undefined
    ? selection
    : { ...selection, reason: `${selection.reason}; ${dated.undated}` };
}

async function selectFromTags(
  registry: Registry,
  repository: string,
  tags: RegistryTag[],
  options: LatestTagOptions & { filter: TagFilter },
): Promise<TagSelection> {
  const { signal, filter, ...selectOptions } = options;
  const request = { signal };

  if (options.policy.kind === "digest") {
    const watched = watchedTag(filter, options.current);
    const inputs: TagInput[] = [];
    for (const tag of tags) {
      const digest =
        tag.name === watched ? await registry.getDigest(repository, tag.name, request) : undefined;
      inputs.push({ ...tag, digest });
    }
    return selectTag({ ...selectOptions, filter, tags: inputs });
  }

  const selection = selectTag({ ...selectOptions, filter, tags });
  if (selection.selected === null || selection.digest !== undefined) {
    return selection;
  }
  const digest = await registry.getDigest(repository, selection.selected, request);
  return { ...selection, digest };
}
