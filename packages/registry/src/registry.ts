import type { RegistryError } from "./errors.js";
import type { RateLimit } from "./http/rate-limit.js";
import type { TransportStats } from "./http/transport.js";
import type { SelectTagOptions, TagSelection } from "./selection/select-tag.js";

/** A tag as a registry lists it. */
export interface RegistryTag {
  name: string;
  /** Creation time, where the registry reports one (Gitea and Forgejo do). */
  createdAt?: Date;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

/** Which tags `addCreatedAt` dates: those the filter matches (a `TagFilter`, or several joined). */
export interface CreatedAtOptions extends RequestOptions {
  filter: { matches(tag: string): boolean };
}

/** Tags with the creation times a registry could give. */
export interface DatedTags {
  tags: RegistryTag[];
  /**
   * Why some matching tags have no creation time, as a clause appended to a selection's
   * reason. Absent when every matching tag was dated.
   */
  undated?: string;
}

/** Filter, policy and current state for `getLatestTag`: `selectTag` options without tags. */
export type LatestTagOptions = Omit<SelectTagOptions, "tags"> & RequestOptions;

export type AccessCheck = { ok: true; detail: string } | { ok: false; error: RegistryError };

/** One registry, whatever its kind. Every method rejects with a `RegistryError`. */
export interface Registry {
  readonly type: RegistryType;
  /** Base URL, e.g. `http://127.0.0.1:5000`. */
  readonly url: string;
  /** Every tag of `repository` (all pages), with creation times where the registry has them. */
  listTags(repository: string, options?: RequestOptions): Promise<RegistryTag[]>;
  /**
   * Adds creation times to the tags of an already fetched list that `filter` matches, for the
   * newest policy. OCI registries list none, so their image configs are read (a few requests
   * per tag, a bounded number of tags); lists that carry times (Gitea) are returned as they are.
   */
  addCreatedAt(
    repository: string,
    tags: readonly RegistryTag[],
    options: CreatedAtOptions,
  ): Promise<DatedTags>;
  /** The manifest digest `tag` points to: the index digest for multi-platform images. */
  getDigest(repository: string, tag: string, options?: RequestOptions): Promise<string>;
  /** Lists the tags and selects one; the digest policy also resolves the watched tag's digest. */
  getLatestTag(repository: string, options: LatestTagOptions): Promise<TagSelection>;
  /** Checks that the registry responds and accepts the credentials ("test connection"). */
  checkAccess(options?: RequestOptions): Promise<AccessCheck>;
  /** The last pull allowance the registry reported (Docker Hub), if any. */
  rateLimit(): RateLimit | undefined;
  /** Requests sent and connections opened so far. */
  stats(): TransportStats;
  /** Closes idle connections. */
  close(): Promise<void>;
}

export const REGISTRY_TYPES = ["gitea", "forgejo", "oci", "dockerhub", "ghcr"] as const;
export type RegistryType = (typeof REGISTRY_TYPES)[number];
