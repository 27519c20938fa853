import type { IncomingMessage, ServerResponse } from "node:http";
import {
  authenticatedUser,
  type StandInState,
  type StoredVersion,
  sendJson,
} from "./gitea-stand-in.js";

/** Gitea's `[api] DEFAULT_PAGING_NUM` and `MAX_RESPONSE_ITEMS` defaults. */
const DEFAULT_LIMIT = 30;
const MAX_LIMIT = 50;

interface Listed {
  owner: string;
  name: string;
  version: StoredVersion;
}

/**
 * Serves `GET /api/v1/packages/{owner}` (every version of every matching package, `q` a
 * substring of the name) and, unless switched off, `GET /api/v1/packages/{owner}/container/{name}`.
 * Both need a token, order newest first, and page with `X-Total-Count` and `Link`.
 */
export function handlePackagesRequest(
  state: StandInState,
  request: IncomingMessage,
  url: URL,
  response: ServerResponse,
): void {
  if (!authenticatedUser(state, request.headers.authorization)) {
    sendJson(response, 401, { message: "token is required", url: state.url });
    return;
  }
  if (request.method !== "GET") {
    sendJson(response, 405, { message: "method not allowed", url: state.url });
    return;
  }

  const parts = url.pathname.slice("/api/v1/packages/".length).split("/");
  const owner = decodeURIComponent(parts[0] ?? "").toLowerCase();
  const owned = state.packages.get(owner);
  if (parts.length === 1) {
    const type = url.searchParams.get("type");
    const query = (url.searchParams.get("q") ?? "").toLowerCase();
    const listed = [...(owned ?? new Map<string, StoredVersion[]>())]
      .filter(([name]) => name.includes(query) && (type === null || type === "container"))
      .flatMap(([name, versions]) => versions.map((version) => ({ owner, name, version })));
    sendPage(state, url, response, listed);
    return;
  }

  const isVersionList = parts.length === 3 && parts[1] === "container";
  if (!isVersionList || !state.options.versionList) {
    sendJson(response, 404, { message: "Not Found", url: state.url });
    return;
  }
  const name = decodeURIComponent(parts[2] ?? "").toLowerCase();
  const versions = owned?.get(name);
  if (!versions) {
    sendJson(response, 404, { message: "package does not exist", url: state.url });
    return;
  }
  sendPage(
    state,
    url,
    response,
    versions.map((version) => ({ owner, name, version })),
  );
}

function sendPage(state: StandInState, url: URL, response: ServerResponse, listed: Listed[]): void {
  const limit = Math.min(Number(url.searchParams.get("limit")) || DEFAULT_LIMIT, MAX_LIMIT);
  const page = Math.max(Number(url.searchParams.get("page")) || 1, 1);
  const ordered = [...listed].sort(
    (a, b) =>
      b.version.createdAt.getTime() - a.version.createdAt.getTime() || a.version.id - b.version.id,
  );
  const pageItems = ordered.slice((page - 1) * limit, page * limit);
  const lastPage = Math.max(Math.ceil(ordered.length / limit), 1);

  sendJson(
    response,
    200,
    pageItems.map((item) => toPackageJson(state, item)),
    { "x-total-count": String(ordered.length), link: linkHeader(url, page, lastPage) },
  );
}

/** Gitea's `Link`: next, last, first and prev, absolute URLs. */
function linkHeader(url: URL, page: number, lastPage: number): string {
  const at = (target: number) => {
    const copy = new URL(url);
    copy.searchParams.set("page", String(target));
    return copy.toString();
  };
  const links: string[] = [];
  if (page < lastPage) {
    links.push(`<${at(page + 1)}>; rel="next"`, `<${at(lastPage)}>; rel="last"`);
  }
  if (page > 1) {
    links.push(`<${at(1)}>; rel="first"`, `<${at(page - 1)}>; rel="prev"`);
  }
  return links.join(",");
}

function toPackageJson(state: StandInState, item: Listed) {
  const user = { id: 1, login: item.owner, username: item.owner };
  return {
    id: item.version.id,
    owner: user,
    repository: null,
    creator: user,
    type: "container",
    name: item.name,
    version: item.version.version,
    html_url: `${state.url}/${item.owner}/-/packages/container/${encodeURIComponent(item.name)}/${item.version.version}`,
    created_at: item.version.createdAt.toISOString(),
  };
}
