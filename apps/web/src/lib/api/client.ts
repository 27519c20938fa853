import { ApiRequestError, errorFromResponse } from "./errors.js";

/** Every route of the API lives under this prefix, on the dashboard's own origin. */
export const API_BASE = "/api/v1";

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

/** Called on every 401, so the layout can send the user to the sign-in page. */
let onUnauthorized: ((error: ApiRequestError) => void) | undefined;

export function setUnauthorizedHandler(
  handler: ((error: ApiRequestError) => void) | undefined,
): void {
  onUnauthorized = handler;
}

/** Builds `/api/v1/<path>?…`, leaving out empty query values. */
export function apiUrl(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") {
      params.set(name, String(value));
    }
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ""}`;
}

/**
 * Sends one request with the session cookie. The API protects state-changing requests by
 * checking `Origin`, which the browser sets itself on same-origin requests, so no token is
 * added. Resolves with the parsed JSON (`undefined` for 204); rejects with `ApiRequestError`
 * carrying the API's message.
 */
export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const url = apiUrl(path, options.query);
  const headers: Record<string, string> = { accept: "application/json" };
  const init: RequestInit = { method, headers, credentials: "same-origin" };
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  if (options.signal) {
    init.signal = options.signal;
  }

  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") {
      throw error;
    }
    throw new ApiRequestError(
      0,
      "network",
      `${method} ${url} could not reach the server: check the connection and that Berth is running`,
    );
  }

  const body = await readBody(response);
  if (!response.ok) {
    const error = errorFromResponse(method, url, response.status, body);
    if (response.status === 401 && path !== "/auth/login") {
      onUnauthorized?.(error);
    }
    throw error;
  }
  return body as T;
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) {
    return undefined;
  }
  const text = await response.text();
  if (text === "") {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Takes the payload out of a response that wraps it, `{ projects: [...] }` or
 * `{ project: {...} }`, and passes a bare value through, so pages read both forms.
 */
export function unwrap<T>(body: unknown, key: string): T {
  if (typeof body === "object" && body !== null && !Array.isArray(body) && key in body) {
    return (body as Record<string, unknown>)[key] as T;
  }
  return body as T;
}
