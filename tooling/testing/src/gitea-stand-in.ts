import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleContainerRequest } from "./gitea-stand-in-oci.js";
import { handlePackagesRequest } from "./gitea-stand-in-rest.js";

/**
 * A stand-in for Gitea's container registry on 127.0.0.1, following Gitea's published API.
 * It serves the packages REST API (`/api/v1/packages/…`, paging with `Link` and
 * `X-Total-Count`, digest-only versions, substring `q`). It also serves the OCI endpoint
 * (`/v2/…`, `/v2/token`, both challenge shapes, and `Link` on every non-empty tag page).
 */
export interface GiteaStandIn {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`. */
  host: string;
  /** Adds (or moves) a tag; returns the digest of its new manifest. */
  addTag(repository: string, tag: string, options?: AddTagOptions): { digest: string };
  /** Adds a manifest pushed by digest alone, listed with `version` = its digest. */
  addDigestOnly(repository: string): { digest: string };
  /** Requests received so far, as `METHOD /path?query`. */
  requests(): string[];
  stop(): Promise<void>;
}

export interface AddTagOptions {
  /** Makes the manifest, and so the digest, distinct. */
  content?: string;
  createdAt?: Date;
  mediaType?: string;
}

export interface GiteaStandInOptions {
  /** Account whose token the stand-in accepts. Default `berth` / a random token. */
  username?: string;
  token?: string;
  /**
   * Whether `GET /api/v1/packages/{owner}/container/{name}` exists (newer Gitea). Default
   * true; false behaves like older Gitea releases, which return 404 there.
   */
  versionList?: boolean;
  /**
   * `current`: `Bearer realm="…/v2/token",service="container_registry",scope="*"`.
   * `legacy`: a Bearer challenge with only a realm plus a bare `Basic`, as two headers.
   */
  challenge?: "current" | "legacy";
  /** Like `REQUIRE_SIGNIN_VIEW`: anonymous token requests get 401. Default false. */
  requireSignIn?: boolean;
}

/** One stored package version. */
export interface StoredVersion {
  id: number;
  version: string;
  tagged: boolean;
  createdAt: Date;
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface StandInState {
  options: Required<Omit<GiteaStandInOptions, "token" | "username">> & {
    username: string;
    token: string;
  };
  url: string;
  /** owner → package name → versions. */
  packages: Map<string, Map<string, StoredVersion[]>>;
  /** Bearer tokens issued by `/v2/token`, mapped to the user (`""` for the anonymous user). */
  issuedTokens: Map<string, string>;
}

/** Starts the stand-in; `stop()` closes it. */
export async function startGiteaStandIn(options: GiteaStandInOptions = {}): Promise<GiteaStandIn> {
  const log: string[] = [];
  let nextId = 1;
  const state: StandInState = {
    options: {
      username: options.username ?? "berth",
      token: options.token ?? randomBytes(20).toString("hex"),
      versionList: options.versionList ?? true,
      challenge: options.challenge ?? "current",
      requireSignIn: options.requireSignIn ?? false,
    },
    url: "",
    packages: new Map(),
    issuedTokens: new Map(),
  };

  const server = createServer((request, response) => {
    log.push(`${request.method} ${request.url}`);
    route(state, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;

  const store = (repository: string, version: StoredVersion) => {
    const { owner, name } = splitRepository(repository);
    const owned = state.packages.get(owner) ?? new Map<string, StoredVersion[]>();
    state.packages.set(owner, owned);
    const versions = (owned.get(name) ?? []).filter((entry) => entry.version !== version.version);
    owned.set(name, [...versions, version]);
  };

  return {
    url: state.url,
    host: `127.0.0.1:${port}`,
    addTag(repository, tag, tagOptions = {}) {
      const version = makeVersion(nextId++, tag.toLowerCase(), true, tagOptions, repository);
      store(repository, version);
      return { digest: version.digest };
    },
    addDigestOnly(repository) {
      const version = makeVersion(
        nextId++,
        "",
        false,
        { content: `digest-only ${nextId}` },
        repository,
      );
      version.version = version.digest;
      store(repository, version);
      return { digest: version.digest };
    },
    requests: () => [...log],
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function route(state: StandInState, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? "/", state.url);
  if (url.pathname.startsWith("/api/v1/packages/")) {
    handlePackagesRequest(state, request, url, response);
  } else if (url.pathname === "/v2" || url.pathname.startsWith("/v2/")) {
    handleContainerRequest(state, request, url, response);
  } else {
    sendJson(response, 404, { message: "Not Found", url: state.url });
  }
}

function makeVersion(
  id: number,
  version: string,
  tagged: boolean,
  options: AddTagOptions,
  repository: string,
): StoredVersion {
  const mediaType = options.mediaType ?? "application/vnd.oci.image.manifest.v1+json";
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      annotations: { repository, content: options.content ?? `${repository}:${version}` },
    }),
  );
  return {
    id,
    version,
    tagged,
    createdAt: options.createdAt ?? new Date(Date.UTC(2026, 0, 1) + id * 60_000),
    digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    mediaType,
    bytes,
  };
}

/** Splits `owner/image/path` into the Gitea owner and the package name (`image/path`). */
export function splitRepository(repository: string): { owner: string; name: string } {
  const lower = repository.toLowerCase();
  const slash = lower.indexOf("/");
  if (slash <= 0) {
    throw new Error(`Gitea image names are owner/image, got ${repository}`);
  }
  return { owner: lower.slice(0, slash), name: lower.slice(slash + 1) };
}

/** Reads the user from `token X`, `Bearer X` or Basic `user:X` (any user name, Gitea-style). */
export function authenticatedUser(
  state: StandInState,
  header: string | undefined,
): string | undefined {
  if (!header) {
    return undefined;
  }
  const [scheme = "", value = ""] = header.split(/\s+/, 2);
  const lower = scheme.toLowerCase();
  if ((lower === "token" || lower === "bearer") && value === state.options.token) {
    return state.options.username;
  }
  if (lower === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const password = decoded.slice(decoded.indexOf(":") + 1);
    return password === state.options.token ? state.options.username : undefined;
  }
  return undefined;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}
