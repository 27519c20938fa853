import { createHash } from "node:crypto";
import { Authenticator, type Credentials } from "../../auth/authenticator.js";
import { RegistryError } from "../../errors.js";
import { nextPageUrl } from "../../http/link.js";
import type { RateLimit } from "../../http/rate-limit.js";
import { errorForStatus, parseJson, type ResponseContext } from "../../http/responses.js";
import { HttpTransport, type TransportStats } from "../../http/transport.js";
import type {
  AccessCheck,
  CreatedAtOptions,
  DatedTags,
  LatestTagOptions,
  Registry,
  RegistryTag,
  RegistryType,
  RequestOptions,
} from "../../registry.js";
import type { TagSelection } from "../../selection/select-tag.js";
import { selectWithDigests } from "../select-latest.js";
import { readCreatedAt } from "./created.js";

/**
 * Every manifest media type, so the registry returns what the tag points to and the digest
 * is the one `docker pull` records: the index digest for multi-platform images. Asking for
 * fewer types gets a 404 or a converted manifest with another digest from some registries.
 */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Tags whose creation time the newest policy reads from image configs, at most. */
const MAX_CREATED_LOOKUPS = 200;

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface OciClientOptions extends Credentials {
  type: RegistryType;
  url: string;
  /** Name for messages; the URL when not given. */
  name: string;
  timeoutMs: number;
  concurrency: number;
  /** Tags per page asked with `n`. */
  pageSize: number;
  /** Pages followed at most, so a registry that pages forever cannot hang a poll. */
  maxPages: number;
  userAgent: string;
  /** Maps a repository to the registry's spelling (`library/`, lower case). */
  repositoryName?: (repository: string) => string;
  /**
   * Whether the newest policy may read creation times from image configs (default true).
   * Docker Hub counts each manifest GET as a pull, so its client turns this off.
   */
  readsCreatedAt?: boolean;
  /** A transport to share with another client of the same registry (Gitea's REST client). */
  transport?: HttpTransport;
}

/**
 * A client for the OCI Distribution API (`/v2/`). Docker Hub, GHCR and the Gitea fallback
 * use it with their own repository naming and defaults.
 */
export class OciRegistry implements Registry {
  readonly type: RegistryType;
  readonly url: string;
  readonly #options: OciClientOptions;
  readonly #transport: HttpTransport;
  readonly #auth: Authenticator;

  constructor(options: OciClientOptions) {
    this.type = options.type;
    this.url = options.url;
    this.#options = options;
    this.#transport =
      options.transport ??
      new HttpTransport({
        registryName: options.name,
        timeoutMs: options.timeoutMs,
        concurrency: options.concurrency,
        userAgent: options.userAgent,
      });
    this.#auth = new Authenticator(this.#transport, options.name, options);
  }

  async listTags(repository: string, options: RequestOptions = {}): Promise<RegistryTag[]> {
    const name = this.#name(repository);
    const context = this.#context(name, "list tags");
    const tags: RegistryTag[] = [];
    const seen = new Set<string>();
    const visited = new Set<string>();
    let url = `${this.url}/v2/${name}/tags/list?n=${this.#options.pageSize}`;
    for (let page = 1; ; page += 1) {
      if (page > this.#options.maxPages) {
        throw new RegistryError(
          `registry ${this.#options.name} returned more than ${this.#options.maxPages} pages of tags for ${name}: stopping so the poll ends`,
          { kind: "protocol", registry: this.#options.name, repository: name },
        );
      }
      visited.add(url);
      const response = await this.#auth.send(
        { url, signal: options.signal, repository: name },
        pullScope(name),
      );
      if (response.status !== 200) {
        throw errorForStatus(response, context);
      }

      for (const tag of readTagPage(response, context)) {
        if (!seen.has(tag)) {
          seen.add(tag);
          tags.push({ name: tag });
        }
      }
      const next = nextPageUrl(response.headers.get("link"), response.url, {
        registry: this.#options.name,
        repository: name,
      });
      // A link already followed would loop forever, so the pages so far are the whole list.
      if (!next || visited.has(next)) {
        return tags;
      }
      url = next;
    }
  }

  async getDigest(repository: string, tag: string, options: RequestOptions = {}): Promise<string> {
    const name = this.#name(repository);
    const context = this.#context(name, `resolve ${name}:${tag}`);
    const url = `${this.url}/v2/${name}/manifests/${encodeURIComponent(tag)}`;
    const request = {
      url,
      headers: { accept: MANIFEST_ACCEPT },
      signal: options.signal,
      repository: name,
    };

    const head = await this.#auth.send({ ...request, method: "HEAD" }, pullScope(name));
    if (head.status !== 200) {
      throw errorForStatus(head, context);
    }
    const digest = head.headers.get("docker-content-digest");
    if (digest) {
      return checkDigest(digest, context);
    }

    // Older registries may omit the header on HEAD; the digest is then the sha256 of the body.
    const get = await this.#auth.send(request, pullScope(name));
    if (get.status !== 200) {
      throw errorForStatus(get, context);
    }
    const header = get.headers.get("docker-content-digest");
    return header
      ? checkDigest(header, context)
      : `sha256:${createHash("sha256").update(get.body).digest("hex")}`;
  }

  async getLatestTag(repository: string, options: LatestTagOptions): Promise<TagSelection> {
    const tags = await this.listTags(repository, options);
    return await selectWithDigests(this, repository, tags, options);
  }

  /**
   * Reads creation times from image configs, because the OCI tag list has none. Only tags
   * that pass the filter and have no time yet are read, at most `MAX_CREATED_LOOKUPS` of them.
   */
  async addCreatedAt(
    repository: string,
    tags: readonly RegistryTag[],
    options: CreatedAtOptions,
  ): Promise<DatedTags> {
    const undated = tags.filter(
      (tag) => tag.createdAt === undefined && options.filter.matches(tag.name),
    );
    if (undated.length === 0) {
      return { tags: [...tags] };
    }
    if (this.#options.readsCreatedAt === false) {
      return {
        tags: [...tags],
        undated: `creation times are not read from ${this.#options.name}, where every manifest read counts as a pull: use a semver, numeric or alphabetical policy`,
      };
    }

    // NOTE: past this many matching tags the rest stay undated, so the newest policy skips
    // them. Gitea lists creation times and has no such limit.
    const wanted = new Set(undated.slice(0, MAX_CREATED_LOOKUPS).map((tag) => tag.name));
    const dated = await Promise.all(
      tags.map((tag) => (wanted.has(tag.name) ? this.#dateTag(repository, tag, options) : tag)),
    );
    const skipped = undated.length - wanted.size;
    return skipped > 0
      ? {
          tags: dated,
          undated: `the creation times of ${skipped} more matching tags were not read (${MAX_CREATED_LOOKUPS} per poll at most): narrow the include patterns`,
        }
      : { tags: dated };
  }

  async #dateTag(
    repository: string,
    tag: RegistryTag,
    options: RequestOptions,
  ): Promise<RegistryTag> {
    const name = this.#name(repository);
    const get = (path: string, accept: string) =>
      this.#auth.send(
        {
          url: `${this.url}/v2/${name}/${path}`,
          headers: { accept },
          signal: options.signal,
          repository: name,
        },
        pullScope(name),
      );
    const context = this.#context(name, `read the creation time of ${name}:${tag.name}`);
    const createdAt = await readCreatedAt(get, tag.name, MANIFEST_ACCEPT, context);
    return createdAt ? { ...tag, createdAt } : tag;
  }

  async checkAccess(options: RequestOptions = {}): Promise<AccessCheck> {
    const context = this.#context(undefined, "check access to /v2/");
    try {
      const response = await this.#auth.send(
        { url: `${this.url}/v2/`, signal: options.signal },
        undefined,
      );
      if (response.status !== 200) {
        throw errorForStatus(response, context);
      }
      const version = response.headers.get("docker-distribution-api-version");
      return {
        ok: true,
        detail: `registry ${this.#options.name} accepted the request to /v2/${version ? ` (${version})` : ""}`,
      };
    } catch (error) {
      if (error instanceof RegistryError) {
        return { ok: false, error };
      }
      throw error;
    }
  }

  rateLimit(): RateLimit | undefined {
    return this.#transport.rateLimit;
  }

  stats(): TransportStats {
    return { ...this.#transport.stats };
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  #name(repository: string): string {
    return this.#options.repositoryName ? this.#options.repositoryName(repository) : repository;
  }

  #context(repository: string | undefined, action: string): ResponseContext {
    return { registry: this.#options.name, repository, action };
  }
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function readTagPage(
  response: { status: number; body: string; headers: Headers; url: string },
  context: ResponseContext,
): string[] {
  const body = parseJson<{ tags?: unknown }>(response, context);
  // distribution returns "tags": null for a repository whose tags were all deleted.
  if (body.tags === null || body.tags === undefined) {
    return [];
  }
  if (!Array.isArray(body.tags) || !body.tags.every((tag) => typeof tag === "string")) {
    throw new RegistryError(
      `registry ${context.registry} returned a tag list for ${context.repository} whose "tags" is not a list of strings`,
      { kind: "protocol", registry: context.registry, repository: context.repository },
    );
  }
  return body.tags as string[];
}

function checkDigest(digest: string, context: ResponseContext): string {
  if (!DIGEST.test(digest)) {
    throw new RegistryError(
      `registry ${context.registry} returned an invalid Docker-Content-Digest "${digest.slice(0, 100)}" (${context.action})`,
      { kind: "protocol", registry: context.registry, repository: context.repository },
    );
  }
  return digest;
}
