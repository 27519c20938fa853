/** A small client for Berth's public HTTP API, signed in with an API token. */

export class ApiRequestError extends Error {
  override readonly name = "ApiRequestError";
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly url: string;
  /** The bearer token, for clients that open their own requests, such as an event stream. */
  readonly token: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
}

/** Returns a client that sends `Authorization: Bearer <token>` on every request. */
export function apiClient(url: string, token: string): ApiClient {
  const send = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return readJson<T>(response, `${method} ${path}`);
  };
  return {
    url,
    token,
    get: (path) => send("GET", path),
    post: (path, body) => send("POST", path, body ?? {}),
    patch: (path, body) => send("PATCH", path, body),
  };
}

/** Logs in as `username` and creates an admin-scoped API token for the rest of the run. */
export async function signIn(url: string, username: string, password: string): Promise<ApiClient> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  await readJson(login, "POST /auth/login");
  const cookie = (login.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";

  const created = await fetch(`${url}/api/v1/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ name: "e2e", scope: "admin" }),
  });
  const { secret } = await readJson<{ secret: string }>(created, "POST /tokens");
  return apiClient(url, secret);
}

async function readJson<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    throw new ApiRequestError(
      response.status,
      body,
      `${what} answered ${response.status}: ${text}`,
    );
  }
  return body as T;
}
