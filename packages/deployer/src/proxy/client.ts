/**
 * The Nginx Proxy Manager client: token login with the expiry honoured, proxy-host CRUD and
 * the domain search Berth uses to update the host it owns instead of adding a duplicate.
 */
import { ProxyError, rootCauseMessage } from "../errors.js";
import {
  describeValue,
  InvalidResponseError,
  parseHostList,
  parseOtherHost,
  parseProxyHost,
} from "./responses.js";

export interface ProxyManagerClientOptions {
  /** Base URL of NPM without `/api`, e.g. `http://npm.internal:81`. */
  url: string;
  email: string;
  password: string;
  /** Refresh the token when less than this is left of its lifetime. Default 5 minutes. */
  refreshBeforeMs?: number | undefined;
  /** Timeout of each request. Default 30 s. */
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
  now?: (() => number) | undefined;
}

/** The fields of a proxy host Berth sets. */
export interface ProxyHostInput {
  domainNames: string[];
  forwardScheme: "http" | "https";
  forwardHost: string;
  forwardPort: number;
}

/** A proxy host as NPM stores it. */
export interface ProxyHost extends ProxyHostInput {
  id: number;
  enabled: boolean;
}

/** The NPM host that serves a domain, whichever of the three kinds it is. */
export type DomainHost =
  | { kind: "proxy"; host: ProxyHost }
  | { kind: "redirection" | "dead"; id: number; domainNames: string[] };

export interface ProxyManagerClient {
  listProxyHosts(): Promise<ProxyHost[]>;
  createProxyHost(input: ProxyHostInput): Promise<ProxyHost>;
  updateProxyHost(id: number, input: Partial<ProxyHostInput>): Promise<ProxyHost>;
  deleteProxyHost(id: number): Promise<void>;
  /** Finds the host serving `domain`: exact match, ignoring case, across all host kinds. */
  findHostByDomain(domain: string): Promise<DomainHost | null>;
}

interface Session {
  token: string;
  expiresAt: number;
}

/** Creates a client; it logs in on the first request. */
export function createProxyManagerClient(options: ProxyManagerClientOptions): ProxyManagerClient {
  let base: URL;
  try {
    base = new URL("api/", options.url.endsWith("/") ? options.url : `${options.url}/`);
  } catch (error) {
    throw new Error(
      `invalid Nginx Proxy Manager URL "${options.url}": use its base address, e.g. http://npm:81`,
      { cause: error },
    );
  }
  const session = new SessionKeeper(base, options);

  /** Sends one request and reads its body with `parse`. A malformed body becomes a `ProxyError`. */
  const request = async <T>(
    method: string,
    path: string,
    parse: (body: unknown) => T,
    body?: unknown,
  ): Promise<T> => {
    const reply = await session.send(method, path, body);
    try {
      return parse(reply);
    } catch (error) {
      if (error instanceof InvalidResponseError) {
        throw invalidResponse(base, method, path, error.message, error);
      }
      throw error;
    }
  };
  const listProxyHosts = () =>
    request("GET", "nginx/proxy-hosts", (body) => parseHostList(body, parseProxyHost));
  const listOtherHosts = (kind: "redirection" | "dead") =>
    request("GET", `nginx/${kind}-hosts`, (body) => parseHostList(body, parseOtherHost));

  return {
    listProxyHosts,
    createProxyHost: (input) => request("POST", "nginx/proxy-hosts", parseProxyHost, toRaw(input)),
    updateProxyHost: (id, input) =>
      request("PUT", `nginx/proxy-hosts/${id}`, parseProxyHost, toRaw(input)),
    deleteProxyHost: async (id) => {
      // NPM returns `true`, and nothing of the body is needed.
      await request("DELETE", `nginx/proxy-hosts/${id}`, () => undefined);
    },
    findHostByDomain: async (domain) => {
      const expected = domain.toLowerCase();
      const serves = (host: { domainNames: string[] }) =>
        host.domainNames.some((name) => name.toLowerCase() === expected);

      const proxy = (await listProxyHosts()).find(serves);
      if (proxy) {
        return { kind: "proxy", host: proxy };
      }
      for (const kind of ["redirection", "dead"] as const) {
        const found = (await listOtherHosts(kind)).find(serves);
        if (found) {
          return { kind, id: found.id, domainNames: found.domainNames };
        }
      }
      return null;
    },
  };
}

/** Holds the token: logs in, refreshes before expiry, and logs in again once when NPM reports it expired. */
class SessionKeeper {
  private session: Session | undefined;
  /** A login or refresh in flight, shared so concurrent requests make only one. */
  private pending: Promise<Session> | undefined;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly refreshBeforeMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly base: URL,
    private readonly options: ProxyManagerClientOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? fetch;
    this.refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60 * 1000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async send(method: string, path: string, body: unknown): Promise<unknown> {
    const token = await this.currentToken();
    const first = await this.raw(method, path, body, token);
    if (!isExpiredToken(first)) {
      return unwrap(first, this.base, method, path);
    }

    // The server's clock decides: log in again once, and retry the request once.
    this.session = undefined;
    const second = await this.raw(method, path, body, await this.currentToken());
    return unwrap(second, this.base, method, path);
  }

  private async currentToken(): Promise<string> {
    const session = this.session;
    if (session && session.expiresAt - this.now() >= this.refreshBeforeMs) {
      return session.token;
    }
    this.pending ??= (session ? this.refresh(session.token) : this.login()).finally(() => {
      this.pending = undefined;
    });
    this.session = await this.pending;
    return this.session.token;
  }

  private async login(): Promise<Session> {
    const reply = await this.raw("POST", "tokens", {
      identity: this.options.email,
      secret: this.options.password,
    });
    if (reply.status !== 200) {
      // A failed login is never retried: repeating bad credentials only risks a lockout.
      throw new ProxyError(
        `Nginx Proxy Manager rejected the login of ${this.options.email} with HTTP ${reply.status}: ${reply.message || "no message"}: check the email and password in settings`,
        { statusCode: reply.status, kind: "auth" },
      );
    }
    return toSession(reply.body, this.base);
  }

  private async refresh(token: string): Promise<Session> {
    const reply = await this.raw("GET", "tokens", undefined, token);
    return reply.status === 200 ? toSession(reply.body, this.base) : this.login();
  }

  private async raw(
    method: string,
    path: string,
    body: unknown,
    token?: string,
  ): Promise<RawReply> {
    const url = new URL(path, this.base);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method,
        headers: {
          Accept: "application/json",
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // fetch would re-send the login body, email and password included, on a 307 or 308
        // to any host, so a redirect is an error here.
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ProxyError(
        `Nginx Proxy Manager at ${this.base.origin} did not respond to ${method} ${url.pathname}: ${rootCauseMessage(error)}: check that it is running and that the URL in settings is right`,
        { kind: "other", cause: error },
      );
    }
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      throw new ProxyError(
        `Nginx Proxy Manager ${method} ${url.pathname} redirected to ${new URL(location, url)}: set the Nginx Proxy Manager URL to the address it redirects to`,
        { statusCode: response.status, kind: "other" },
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ProxyError(
        `Nginx Proxy Manager at ${this.base.origin} broke off its response to ${method} ${url.pathname}: ${rootCauseMessage(error)}: check that it is running, then retry`,
        { statusCode: response.status, kind: "other", cause: error },
      );
    }
    const parsed = parseJson(text);
    return { status: response.status, body: parsed, text, message: errorMessage(parsed, text) };
  }
}

interface RawReply {
  status: number;
  /** The parsed JSON body, or `undefined` when the body is not JSON. */
  body: unknown;
  text: string;
  /** NPM's `error.message`, else a one-line excerpt of the body, or empty for an empty body. */
  message: string;
}

/** NPM rejects an expired token with 400 "Token has expired" (its AuthError), not 401. */
function isExpiredToken(reply: RawReply): boolean {
  return reply.status === 401 || (reply.status === 400 && /token has expired/i.test(reply.message));
}

function unwrap(reply: RawReply, base: URL, method: string, path: string): unknown {
  if (reply.status >= 200 && reply.status < 300) {
    if (reply.body === undefined && reply.text.trim() !== "") {
      throw invalidResponse(base, method, path, `the body is not JSON (${reply.message})`);
    }
    return reply.body;
  }
  const kind = errorKind(reply);
  const message = reply.message === "" ? "no message" : reply.message;
  throw new ProxyError(
    `Nginx Proxy Manager ${method} /api/${path} returned HTTP ${reply.status}: ${message}: ${HINTS[kind]}`,
    { statusCode: reply.status, kind },
  );
}

/** Hints on what to do about each kind of failed request. */
const HINTS: Record<ProxyError["kind"], string> = {
  auth: "check the Nginx Proxy Manager email and password in settings",
  conflict:
    "remove the other host for this domain in Nginx Proxy Manager, or give the stage another domain",
  invalid: "check the stage's domain and port",
  not_found: "check that the proxy host still exists in Nginx Proxy Manager, then retry",
  other: "check Nginx Proxy Manager's log, then retry",
};

/** Builds the `ProxyError` for a 2xx response whose body Berth cannot read. */
function invalidResponse(
  base: URL,
  method: string,
  path: string,
  detail: string,
  cause?: unknown,
): ProxyError {
  return new ProxyError(
    `Nginx Proxy Manager ${method} /api/${path} returned an invalid response: ${detail}: check that the URL in settings, ${base.origin}, is Nginx Proxy Manager's admin address (port 81 by default)`,
    { kind: "other", cause },
  );
}

function errorKind(reply: RawReply): ProxyError["kind"] {
  if (reply.status === 400 && /is already in use/.test(reply.message)) return "conflict";
  if (reply.status === 400) return "invalid";
  if (reply.status === 401 || reply.status === 403) return "auth";
  if (reply.status === 404) return "not_found";
  return "other";
}

/** Reads the token and its expiry from the reply to `POST` or `GET /api/tokens`. */
function toSession(body: unknown, base: URL): Session {
  const fields = (typeof body === "object" && body !== null ? body : {}) as {
    token?: unknown;
    expires?: unknown;
    requires_2fa?: unknown;
  };
  if (fields.requires_2fa === true) {
    throw new ProxyError(
      "Nginx Proxy Manager asks for a second factor: give Berth a user without 2FA",
      { kind: "auth" },
    );
  }
  if (typeof fields.token !== "string" || fields.token === "") {
    throw invalidResponse(base, "POST", "tokens", `the token is ${describeValue(fields.token)}`);
  }
  const expiresAt = typeof fields.expires === "string" ? Date.parse(fields.expires) : Number.NaN;
  if (Number.isNaN(expiresAt)) {
    throw invalidResponse(
      base,
      "POST",
      "tokens",
      `the token's expires is ${describeValue(fields.expires)}, not a date`,
    );
  }
  return { token: fields.token, expiresAt };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Maximum length of a body excerpt kept in a message, because a proxy may send a whole page. */
const MAX_EXCERPT = 200;

function errorMessage(parsed: unknown, text: string): string {
  const error = (parsed as { error?: { message?: unknown } } | null | undefined)?.error;
  const message = typeof error?.message === "string" ? error.message : text;
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > MAX_EXCERPT ? `${line.slice(0, MAX_EXCERPT)}…` : line;
}

function toRaw(input: Partial<ProxyHostInput>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (input.domainNames) raw.domain_names = input.domainNames;
  if (input.forwardScheme) raw.forward_scheme = input.forwardScheme;
  if (input.forwardHost !== undefined) raw.forward_host = input.forwardHost;
  if (input.forwardPort !== undefined) raw.forward_port = input.forwardPort;
  return raw;
}
