/** A tag with what the registry reported about it, as selection uses it. */
export interface TagInfo {
  name: string;
  /** Manifest digest the tag points to, when the registry reported it. */
  digest?: string | undefined;
  /** Creation time, when the registry reports one (Gitea does, plain OCI registries do not). */
  createdAt?: Date | undefined;
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

/** Builds every tag with the same three fields, which keeps selection over many tags fast. */
function normaliseTag(input: TagInput): TagInfo {
  if (typeof input === "string") {
    return { name: input, digest: undefined, createdAt: undefined };
  }
  return {
    name: input.name,
    digest: input.digest || undefined,
    createdAt: toDate(input.createdAt),
  };
}

function toDate(value: Date | string | number | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
