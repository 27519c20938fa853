import { RegistryError } from "../../errors.js";
import { type LinkContext, nextPageUrl } from "../../http/link.js";
import type { RateLimit } from "../../http/rate-limit.js";
import { errorForStatus, parseJson, type ResponseContext } from "../../http/responses.js";
import { type HttpResponse, HttpTransport, type TransportStats } from "../../http/transport.js";
import type {
  AccessCheck,
  CreatedAtOptions,
  DatedTags,
  LatestTagOptions,
  Registry,
  RegistryTag,
  RequestOptions,
} from "../../registry.js";
import type { TagSelection } from "../../selection/select-tag.js";
import type { ClientDefaults } from "../defaults.js";
import { OciRegistry } from "../oci/client.js";
import { selectWithDigests } from "../select-latest.js";

/** Gitea caps `limit` at `[api] MAX_RESPONSE_ITEMS`, 50 by default. */
const REST_PAGE_SIZE = 50;
const AUTH_HINT = "check the token and that it has the read:package scope";

/** One entry of Gitea's package list: one per package version. */
interface GiteaPackage {
  name?: unknown;
  version?: unknown;
  type?: unknown;
  created_at?: unknown;
}

/**
 * Gitea's and Forgejo's container registry. Tags and their creation times come from the
 * packages REST API (`Authorization: token …`). Digests and access checks come from the OCI
 * endpoint, and so do tags when the REST API is unavailable or the token lacks its scope.
 */
export class GiteaRegistry implements Registry {
  readonly type: "gitea" | "forgejo";
  readonly url: string;
  readonly #options: ClientDefaults;
  readonly #transport: HttpTransport;
  readonly #oci: OciRegistry;
  /** Whether `GET /api/v1/packages/{owner}/container/{name}` exists; unknown until tried. */
  #hasVersionList: boolean | undefined;

  constructor(type: "gitea" | "forgejo", options: ClientDefaults) {
    this.type = type;
    this.url = options.url;
    this.#options = options;
    this.#transport = new HttpTransport({
      registryName: options.name,
      timeoutMs: options.timeoutMs,
      concurrency: options.concurrency,
      userAgent: options.userAgent,
    });
    this.#oci = new OciRegistry({
      ...options,
      type,
      transport: this.#transport,
      // Gitea stores image names in lower case.
      repositoryName: (repository) => repository.toLowerCase(),
    });
  }

  async listTags(repository: string, options: RequestOptions = {}): Promise<RegistryTag[]> {
    const { owner, name } = this.#splitName(repository);
    if (this.#options.token === undefined) {
      // The packages API needs a token; anonymous pulls go through the OCI endpoint.
      return await this.#oci.listTags(repository, options);
    }

    const versions = await this.#listVersions(owner, name, options);
    if (versions === undefined) {
      return await this.#oci.listTags(repository, options);
    }
    return toTags(versions);
  }

  async getDigest(repository: string, tag: string, options: RequestOptions = {}): Promise<string> {
    this.#splitName(repository);
    return await this.#oci.getDigest(repository, tag, options);
  }

  async getLatestTag(repository: string, options: LatestTagOptions): Promise<TagSelection> {
    const tags = await this.listTags(repository, options);
    return await selectWithDigests(this, repository, tags, options);
  }

  /** Dates only tags listed without a time: those the OCI endpoint listed when the REST API could not. */
  async addCreatedAt(
    repository: string,
    tags: readonly RegistryTag[],
    options: CreatedAtOptions,
  ): Promise<DatedTags> {
    return await this.#oci.addCreatedAt(repository, tags, options);
  }

  async checkAccess(options: RequestOptions = {}): Promise<AccessCheck> {
    return await this.#oci.checkAccess(options);
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

  /**
   * Lists the package's versions through the REST API, or returns `undefined` when the OCI
   * endpoint should be asked instead (no such package found there, or the token is refused).
   */
  async #listVersions(
    owner: string,
    name: string,
    options: RequestOptions,
  ): Promise<GiteaPackage[] | undefined> {
    const base = `${this.url}/api/v1/packages/${encodeURIComponent(owner)}`;
    if (this.#hasVersionList !== false) {
      const listUrl = `${base}/container/${encodeURIComponent(name)}?page=1&limit=${REST_PAGE_SIZE}`;
      const listed = await this.#walkPages(listUrl, `${owner}/${name}`, options);
      if (listed !== undefined) {
        this.#hasVersionList = true;
        return listed;
      }
    }

    // Older Gitea has no per-package list: search the owner's packages. `q` matches any part
    // of the name, so `app` also finds `myapp-worker`; keep exact names only.
    const query = new URLSearchParams({
      type: "container",
      q: name,
      page: "1",
      limit: `${REST_PAGE_SIZE}`,
    });
    const found = await this.#walkPages(`${base}?${query}`, `${owner}/${name}`, options);
    const exact = found?.filter(
      (entry) => typeof entry.name === "string" && entry.name.toLowerCase() === name,
    );
    if (exact === undefined || exact.length === 0) {
      return undefined;
    }
    if (this.#hasVersionList === undefined) {
      this.#hasVersionList = false;
    }
    return exact;
  }

  /** Follows `Link` pages; `undefined` on 401, 403 or 404 (the caller falls back). */
  async #walkPages(
    firstUrl: string,
    repository: string,
    options: RequestOptions,
  ): Promise<GiteaPackage[] | undefined> {
    const context: ResponseContext = {
      registry: this.#options.name,
      repository,
      action: "list package versions",
      authHint: AUTH_HINT,
    };
    const entries: GiteaPackage[] = [];
    const visited = new Set<string>();
    let url: string | undefined = firstUrl;
    for (let page = 1; url !== undefined; page += 1) {
      if (page > this.#options.maxPages) {
        throw new RegistryError(
          `registry ${this.#options.name} returned more than ${this.#options.maxPages} pages of package versions for ${repository}: stopping so the poll ends`,
          { kind: "protocol", registry: this.#options.name, repository },
        );
      }
      visited.add(url);
      const response = await this.#transport.send({
        url,
        headers: { authorization: `token ${this.#options.token}`, accept: "application/json" },
        signal: options.signal,
        repository,
      });
      if ([401, 403, 404].includes(response.status)) {
        return undefined;
      }
      if (response.status !== 200) {
        throw errorForStatus(response, context);
      }

      const pageEntries = readPackagePage(response, context);
      entries.push(...pageEntries);
      url = nextPage(response, visited, pageEntries.length, entries.length, {
        registry: this.#options.name,
        repository,
      });
    }
    return entries;
  }

  #splitName(repository: string): { owner: string; name: string } {
    const lower = repository.toLowerCase();
    const slash = lower.indexOf("/");
    if (slash <= 0 || slash === lower.length - 1) {
      throw new RegistryError(
        `${repository} is not a Gitea image name: write it as owner/image, e.g. acme/app`,
        { kind: "not_found", registry: this.#options.name, repository },
      );
    }
    return { owner: lower.slice(0, slash), name: lower.slice(slash + 1) };
  }
}

function readPackagePage(response: HttpResponse, context: ResponseContext): GiteaPackage[] {
  const body = parseJson<unknown>(response, context);
  if (!Array.isArray(body)) {
    throw new RegistryError(
      `registry ${context.registry} returned a package list for ${context.repository} that is not a JSON array`,
      { kind: "protocol", registry: context.registry, repository: context.repository },
    );
  }
  return body as GiteaPackage[];
}

/** Returns the next page to fetch: `rel="next"`, unless the page was empty or `X-Total-Count` is reached. */
function nextPage(
  response: HttpResponse,
  visited: Set<string>,
  pageLength: number,
  collected: number,
  context: LinkContext,
): string | undefined {
  const total = Number(response.headers.get("x-total-count") ?? Number.NaN);
  if (pageLength === 0 || (Number.isFinite(total) && collected >= total)) {
    return undefined;
  }
  const next = nextPageUrl(response.headers.get("link"), response.url, context);
  return next !== undefined && !visited.has(next) ? next : undefined;
}

/**
 * Keeps tagged versions: a manifest pushed by digest alone (a platform manifest of a
 * multi-platform push) is listed with `version` = `sha256:…`.
 */
function toTags(entries: GiteaPackage[]): RegistryTag[] {
  const tags = new Map<string, RegistryTag>();
  for (const entry of entries) {
    if (typeof entry.version !== "string" || entry.version.startsWith("sha256:")) {
      continue;
    }
    if (entry.type !== undefined && entry.type !== "container") {
      continue;
    }
    if (tags.has(entry.version)) {
      continue;
    }
    const tag: RegistryTag = { name: entry.version };
    const createdAt = typeof entry.created_at === "string" ? new Date(entry.created_at) : undefined;
    if (createdAt && !Number.isNaN(createdAt.getTime())) {
      tag.createdAt = createdAt;
    }
    tags.set(entry.version, tag);
  }
  return [...tags.values()];
}
