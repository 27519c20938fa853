import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  authenticatedUser,
  type StandInState,
  type StoredVersion,
  sendJson,
} from "./gitea-stand-in.js";

/**
 * Serves Gitea's OCI endpoint: `/v2/` (support check), `/v2/token`, tag lists and manifests.
 * Requests need a Bearer token from `/v2/token` or Basic credentials, as in Gitea.
 */
export function handleContainerRequest(
  state: StandInState,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): void {
  if (url.pathname === "/v2/token") {
    issueToken(state, request, response);
    return;
  }
  if (!isAuthorised(state, request.headers.authorization)) {
    sendChallenge(state, response);
    return;
  }
  if (url.pathname === "/v2" || url.pathname === "/v2/") {
    sendJson(response, 200, {}, { "docker-distribution-api-version": "registry/2.0" });
    return;
  }

  const path = url.pathname.slice("/v2/".length);
  const tagsList = /^(.+)\/tags\/list$/.exec(path);
  if (tagsList) {
    listTags(state, decodeURIComponent(tagsList[1] ?? ""), url, response);
    return;
  }
  const manifest = /^(.+)\/manifests\/([^/]+)$/.exec(path);
  if (manifest && (request.method === "GET" || request.method === "HEAD")) {
    sendManifest(
      state,
      manifest[1] ?? "",
      decodeURIComponent(manifest[2] ?? ""),
      request,
      response,
    );
    return;
  }
  sendErrors(response, 404, "NOT_FOUND", "no such route");
}

function issueToken(state: StandInState, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== "GET") {
    // Gitea returns 404 for POST /v2/token on purpose.
    sendErrors(response, 404, "NOT_FOUND", "not found");
    return;
  }
  const header = request.headers.authorization;
  const user = authenticatedUser(state, header);
  if (header && !user) {
    sendErrors(response, 401, "UNAUTHORIZED", "invalid credentials");
    return;
  }
  if (!user && state.options.requireSignIn) {
    sendErrors(response, 401, "UNAUTHORIZED", "sign in required");
    return;
  }
  const token = randomBytes(16).toString("hex");
  state.issuedTokens.set(token, user ?? "");
  // Gitea's body has only `token`: no `access_token`, no `expires_in`.
  sendJson(response, 200, { token });
}

function isAuthorised(state: StandInState, header: string | undefined): boolean {
  if (!header) {
    return false;
  }
  if (/^bearer\s/i.test(header)) {
    return state.issuedTokens.has(header.slice(7).trim());
  }
  return authenticatedUser(state, header) !== undefined;
}

function sendChallenge(state: StandInState, response: ServerResponse): void {
  const realm = `${state.url}/v2/token`;
  const challenge =
    state.options.challenge === "legacy"
      ? [`Bearer realm="${realm}"`, "Basic"]
      : `Bearer realm="${realm}",service="container_registry",scope="*"`;
  sendJson(
    response,
    401,
    { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
    { "www-authenticate": challenge },
  );
}

function findVersions(state: StandInState, image: string): StoredVersion[] | undefined {
  const lower = image.toLowerCase();
  const slash = lower.indexOf("/");
  if (slash <= 0) {
    return undefined;
  }
  return state.packages.get(lower.slice(0, slash))?.get(lower.slice(slash + 1));
}

/**
 * Lists tagged versions in order, after `last`, at most `n`. Like Gitea, it sets a `next`
 * link whenever the page is not empty, even on the last page.
 */
function listTags(state: StandInState, image: string, url: URL, response: ServerResponse): void {
  const versions = findVersions(state, image);
  if (!versions) {
    sendErrors(response, 404, "NAME_UNKNOWN", "repository name not known to registry");
    return;
  }
  const last = url.searchParams.get("last") ?? "";
  const n = Number(url.searchParams.get("n") ?? "-1");
  const after = versions
    .filter((version) => version.tagged && version.version > last)
    .map((version) => version.version)
    .sort();
  const tags = n > 0 ? after.slice(0, n) : after;

  const headers: Record<string, string> = {};
  if (tags.length > 0) {
    const query = new URLSearchParams();
    if (n > 0) {
      query.set("n", String(n));
    }
    query.set("last", tags[tags.length - 1] ?? "");
    headers.link = `</v2/${image.toLowerCase()}/tags/list?${query}>; rel="next"`;
  }
  sendJson(response, 200, { name: image.toLowerCase(), tags }, headers);
}

function sendManifest(
  state: StandInState,
  image: string,
  reference: string,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const versions = findVersions(state, image);
  const requested = reference.toLowerCase();
  const version = versions?.find((entry) =>
    requested.startsWith("sha256:")
      ? entry.digest === requested
      : entry.tagged && entry.version === requested,
  );
  if (!version) {
    sendErrors(response, 404, "MANIFEST_UNKNOWN", "manifest unknown");
    return;
  }
  response.writeHead(200, {
    "content-type": version.mediaType,
    "content-length": String(version.bytes.length),
    "docker-content-digest": version.digest,
    etag: `"${version.digest}"`,
    "docker-distribution-api-version": "registry/2.0",
  });
  response.end(request.method === "HEAD" ? undefined : version.bytes);
}

function sendErrors(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { errors: [{ code, message }] });
}
