/** A tag with what the registry reported about it, as selection uses it. */
export interface TagInfo {
  name: string;
  /** Manifest digest the tag points to, when the registry reported it. */
  digest?: string;
  /** Creation time, when the registry reports one (Gitea does, plain OCI registries do not). */
  createdAt?: Date;
}

/** A tag name, or a tag with what the registry reported about it. */
export type TagInput =
  | string
  | { name: string; digest?: string | undefined; createdAt?: Date | string | number | undefined };

/** Normalises tag inputs: one entry per name (the first wins), times as valid `Date`s. */
export function normaliseTags(tags: readonly TagInput[]): TagInfo[] {
  const seen = new Set<string>();
  const result: TagInfo[] = [];
  for (const input of tags) {
    const tag = normaliseTag(input);
    if (tag.name === "" || seen.has(tag.name)) {
      continue;
    }
    seen.add(tag.name);
    result.push(tag);
  }
  return result;
}

function normaliseTag(input: TagInput): TagInfo {
  if (typeof input === "string") {
    return { name: input };
  }
  const tag: TagInfo = { name: input.name };
  if (input.digest) {
    tag.digest = input.digest;
  }
  if (input.createdAt !== undefined) {
    const createdAt = input.createdAt instanceof Date ? input.createdAt : new Date(input.createdAt);
    if (!Number.isNaN(createdAt.getTime())) {
      tag.createdAt = createdAt;
    }
  }
  return tag;
}
