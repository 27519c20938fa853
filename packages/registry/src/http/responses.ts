import { RegistryError } from "../errors.js";
import { retryAfterSeconds } from "./rate-limit.js";
import type { HttpResponse } from "./transport.js";

export interface ResponseContext {
  registry: string;
  repository?: string | undefined;
  /** The requested operation, for messages: `list tags`, `resolve acme/app:1.0`. */
  action: string;
  /** A hint for 401/403, e.g. which token scope the registry needs. */
  authHint?: string;
}

/** Turns a non-success response into a `RegistryError` of the matching kind. */
export function errorForStatus(response: HttpResponse, context: ResponseContext): RegistryError {
  const { registry, repository, action } = context;
  const status = response.status;
  const detail = errorDetail(response.body);
  const details = { registry, repository, status };
  const subject = repository ? ` for ${repository}` : "";
  const authHint = context.authHint ?? "check the username and token";

  switch (status) {
    case 401:
      return new RegistryError(
        `registry ${registry} returned 401 Unauthorized${subject} (${action})${detail}: ${authHint}`,
        { kind: "unauthorized", ...details },
      );
    case 403:
      return new RegistryError(
        `registry ${registry} returned 403 Forbidden${subject} (${action})${detail}: the credentials lack pull access; ${authHint}`,
        { kind: "forbidden", ...details },
      );
    case 404:
      return new RegistryError(notFoundMessage(response.url, context, detail), {
        kind: "not_found",
        ...details,
      });
    case 429: {
      const wait = retryAfterSeconds(response.headers);
      return new RegistryError(
        `registry ${registry} rate-limited ${action}${subject} (429${detail}): retry after ${wait} s`,
        { kind: "rate_limited", ...details, retryAfterSeconds: wait },
      );
    }
    default:
      return new RegistryError(
        `registry ${registry} returned HTTP ${status}${subject} (${action})${detail}${status >= 500 ? ": retry later" : ""}`,
        { kind: status >= 500 ? "network" : "protocol", ...details },
      );
  }
}

/**
 * A manifest or blob path, `/v2/<name>/manifests/<reference>`, optionally under a path prefix.
 * The tag list ends in `/tags/list`, so it never matches.
 */
const CONTENT_PATH = /\/v2\/.+\/(manifests|blobs)\/([^/]+)$/;

/**
 * Names what is missing. A 404 on a manifest or blob means that reference is missing, but
 * docker-registry 2.8.2 also returns `MANIFEST_UNKNOWN` for a manifest in an unknown
 * repository (and HEAD has no body), so the hint covers the repository name too. The path
 * is read from the response URL because every client builds it the same way.
 */
function notFoundMessage(url: string, context: ResponseContext, detail: string): string {
  const { registry, repository, action } = context;
  const content = repository ? CONTENT_PATH.exec(pathnameOf(url)) : null;
  const reference = content?.[2] ? decodeReference(content[2]) : undefined;
  if (!repository || !content || !reference) {
    return `registry ${registry} has no ${repository ?? "such resource"} (${action}, 404${detail}): check the repository name and that the image was pushed`;
  }

  if (content[1] === "blobs") {
    return `registry ${registry} has no blob ${reference} in ${repository} (${action}, 404${detail}): a manifest refers to a blob the registry no longer stores; push the image again`;
  }
  const kind = reference.includes(":") ? "digest" : "tag";
  return `registry ${registry} has no ${kind} ${reference} in ${repository} (${action}, 404${detail}): check the ${kind} was pushed to ${repository} and the repository name is right`;
}

function pathnameOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}

function decodeReference(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Parses a JSON body, reporting invalid or truncated JSON as a `protocol` error. */
export function parseJson<T>(response: HttpResponse, context: ResponseContext): T {
  try {
    return JSON.parse(response.body) as T;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RegistryError(
      `registry ${context.registry} returned invalid JSON for ${context.action}${context.repository ? ` of ${context.repository}` : ""} (${reason}): the response may have been cut off; retry, and check proxies in between`,
      {
        kind: "protocol",
        registry: context.registry,
        repository: context.repository,
        status: response.status,
        cause: error,
      },
    );
  }
}

/** Extracts the registry's own error text: OCI `{"errors":[{code,message}]}` or Gitea `{"message"}`. */
function errorDetail(body: string): string {
  if (body === "") {
    return "";
  }
  try {
    const parsed = JSON.parse(body) as {
      errors?: { code?: unknown; message?: unknown }[];
      message?: unknown;
    };
    const first = parsed.errors?.[0];
    if (first) {
      return `: ${[first.code, first.message].filter((part) => typeof part === "string").join(" ")}`;
    }
    if (typeof parsed.message === "string") {
      return `: ${parsed.message}`;
    }
  } catch {
    // Not JSON: fall through to plain text.
  }
  return `: ${body.slice(0, 120).trim()}`;
}
