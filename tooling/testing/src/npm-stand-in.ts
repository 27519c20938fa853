/**
 * A stand-in for Nginx Proxy Manager's REST API (`/api`), on 127.0.0.1. It follows NPM
 * v2.15's behaviour where Berth depends on it: token login with an expiry and "Token has
 * expired" as a 400, proxy-host CRUD with the schema's checks, "… is already in use" across
 * proxy, redirection and dead hosts, and NPM's error shape `{"error":{"code","message"}}`.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A proxy host as NPM returns it (the fields Berth reads and writes). */
export interface StandInProxyHost {
  id: number;
  created_on: string;
  modified_on: string;
  owner_user_id: number;
  domain_names: string[];
  forward_scheme: "http" | "https";
  forward_host: string;
  forward_port: number;
  enabled: boolean;
  meta: Record<string, unknown>;
  [field: string]: unknown;
}

/** A redirection or dead host: only its domains matter to Berth. */
export interface StandInOtherHost {
  id: number;
  domain_names: string[];
}

export interface NpmStandInOptions {
  email?: string;
  password?: string;
  /** Lifetime of issued tokens; NPM's default is one day. */
  tokenLifetimeMs?: number;
}

/** A running stand-in, with the means to inspect and steer it from a test. */
export interface NpmStandIn {
  /** Base URL without `/api`, e.g. `http://127.0.0.1:40123`. */
  url: string;
  email: string;
  password: string;
  proxyHosts(): StandInProxyHost[];
  addRedirectionHost(domains: string[]): StandInOtherHost;
  addDeadHost(domains: string[]): StandInOtherHost;
  /** Makes every token issued so far expired, as if its lifetime had passed. */
  expireTokens(): void;
  /** Counts of `POST /api/tokens` (logins) and `GET /api/tokens` (refreshes). */
  counts(): { logins: number; refreshes: number; requests: number };
  stop(): Promise<void>;
}

/** Top-level keys the proxy-host schema allows (`additionalProperties: false`). */
const PROXY_HOST_FIELDS = new Set([
  "domain_names",
  "forward_scheme",
  "forward_host",
  "forward_port",
  "certificate_id",
  "ssl_forced",
  "hsts_enabled",
  "hsts_subdomains",
  "http2_support",
  "block_exploits",
  "caching_enabled",
  "allow_websocket_upgrade",
  "access_list_id",
  "advanced_config",
  "enabled",
  "meta",
  "locations",
  "trust_forwarded_proto",
]);

const REQUIRED_FIELDS = ["domain_names", "forward_scheme", "forward_host", "forward_port"];

/** Characters NPM's schema forbids in a domain name. */
const FORBIDDEN_DOMAIN_CHARACTERS = /[&|@!#%^();:/\\{}=+?<>,~`'"\s]/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startNpmStandIn(options: NpmStandInOptions = {}): Promise<NpmStandIn> {
  const state = new StandInState(
    options.email ?? "admin@example.test",
    options.password ?? "changeme-berth",
    options.tokenLifetimeMs ?? 24 * 60 * 60 * 1000,
  );
  const server = createServer((request, response) => {
    void handle(state, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    email: state.email,
    password: state.password,
    proxyHosts: () => structuredClone([...state.proxyHosts.values()]),
    addRedirectionHost: (domains) => state.addOther(state.redirectionHosts, domains),
    addDeadHost: (domains) => state.addOther(state.deadHosts, domains),
    expireTokens: () => {
      for (const token of state.tokens.keys()) state.tokens.set(token, 0);
    },
    counts: () => ({ ...state.counts }),
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

class StandInState {
  readonly tokens = new Map<string, number>();
  readonly proxyHosts = new Map<number, StandInProxyHost>();
  readonly redirectionHosts = new Map<number, StandInOtherHost>();
  readonly deadHosts = new Map<number, StandInOtherHost>();
  readonly counts = { logins: 0, refreshes: 0, requests: 0 };
  private nextId = 1;

  constructor(
    readonly email: string,
    readonly password: string,
    readonly tokenLifetimeMs: number,
  ) {}

  issueToken(): { token: string; expires: string } {
    const token = randomBytes(24).toString("base64url");
    const expiresAt = Date.now() + this.tokenLifetimeMs;
    this.tokens.set(token, expiresAt);
    return { token, expires: new Date(expiresAt).toISOString() };
  }

  newId(): number {
    const id = this.nextId;
    this.nextId += 1;
    return id;
  }

  addOther(table: Map<number, StandInOtherHost>, domains: string[]): StandInOtherHost {
    const host = { id: this.newId(), domain_names: domains };
    table.set(host.id, host);
    return host;
  }

  /** Throws NPM's "… is already in use" when a domain belongs to another host of any kind. */
  checkDomainsFree(domains: string[], ownId?: number): void {
    const usedDomains = [
      ...[...this.proxyHosts.values()].filter((host) => host.id !== ownId),
      ...this.redirectionHosts.values(),
      ...this.deadHosts.values(),
    ].flatMap((host) => host.domain_names.map((domain) => domain.toLowerCase()));
    const clash = domains.find((domain) => usedDomains.includes(domain.toLowerCase()));
    if (clash !== undefined) {
      throw new HttpError(400, `${clash} is already in use`);
    }
  }
}

async function handle(state: StandInState, request: IncomingMessage, response: ServerResponse) {
  state.counts.requests += 1;
  try {
    const body = await readJson(request);
    const url = new URL(request.url ?? "/", "http://stand-in");
    const result = route(state, request.method ?? "GET", url.pathname, request, body);
    send(response, result.status, result.body);
  } catch (error) {
    const status = error instanceof HttpError ? error.status : 500;
    const message = error instanceof HttpError ? error.message : "Internal Error";
    send(response, status, { error: { code: status, message } });
  }
}

function route(
  state: StandInState,
  method: string,
  path: string,
  request: IncomingMessage,
  body: unknown,
): { status: number; body: unknown } {
  if (method === "GET" && path === "/api") {
    return {
      status: 200,
      body: { status: "OK", setup: true, version: { major: 2, minor: 15, revision: 0 } },
    };
  }
  if (method === "POST" && path === "/api/tokens") {
    return { status: 200, body: login(state, body) };
  }

  authenticate(state, request);
  if (method === "GET" && path === "/api/tokens") {
    state.counts.refreshes += 1;
    return { status: 200, body: state.issueToken() };
  }
  if (method === "GET" && path === "/api/nginx/redirection-hosts") {
    return { status: 200, body: [...state.redirectionHosts.values()] };
  }
  if (method === "GET" && path === "/api/nginx/dead-hosts") {
    return { status: 200, body: [...state.deadHosts.values()] };
  }
  if (path === "/api/nginx/proxy-hosts") {
    return proxyHostsRoute(state, method, body);
  }
  const match = /^\/api\/nginx\/proxy-hosts\/(\d+)$/.exec(path);
  if (match?.[1]) {
    return proxyHostRoute(state, method, Number(match[1]), body);
  }
  throw new HttpError(404, "Not Found");
}

function login(state: StandInState, body: unknown): { token: string; expires: string } {
  const fields = asObject(body);
  const extra = Object.keys(fields).find((key) => !["identity", "secret", "scope"].includes(key));
  if (extra !== undefined) {
    throw new HttpError(400, `data must NOT have additional properties (${extra})`);
  }
  if (fields.scope !== undefined && fields.scope !== "user") {
    throw new HttpError(400, "Invalid scope");
  }
  state.counts.logins += 1;
  if (fields.identity !== state.email || fields.secret !== state.password) {
    throw new HttpError(400, "Invalid email or password");
  }
  return state.issueToken();
}

function authenticate(state: StandInState, request: IncomingMessage): void {
  const parts = (request.headers.authorization ?? "").split(" ");
  // NPM compares the scheme case-sensitively.
  if (parts[0] !== "Bearer" || !parts[1]) {
    throw new HttpError(401, "Permission Denied");
  }
  const expiresAt = state.tokens.get(parts[1]);
  if (expiresAt === undefined) {
    throw new HttpError(401, "Permission Denied");
  }
  if (expiresAt <= Date.now()) {
    throw new HttpError(400, "Token has expired");
  }
}

function proxyHostsRoute(
  state: StandInState,
  method: string,
  body: unknown,
): { status: number; body: unknown } {
  if (method === "GET") {
    return { status: 200, body: [...state.proxyHosts.values()] };
  }
  if (method !== "POST") {
    throw new HttpError(404, "Not Found");
  }

  const fields = validateProxyHost(body, true);
  const domains = fields.domain_names as string[];
  state.checkDomainsFree(domains);
  const now = new Date().toISOString();
  const host: StandInProxyHost = {
    enabled: true,
    meta: {},
    ...fields,
    id: state.newId(),
    created_on: now,
    modified_on: now,
    owner_user_id: 1,
  } as StandInProxyHost;
  host.meta = { ...host.meta, nginx_online: true, nginx_err: null };
  state.proxyHosts.set(host.id, host);
  return { status: 201, body: host };
}

function proxyHostRoute(
  state: StandInState,
  method: string,
  id: number,
  body: unknown,
): { status: number; body: unknown } {
  const host = state.proxyHosts.get(id);
  if (!host) {
    throw new HttpError(404, `Not Found - ${id}`);
  }
  if (method === "GET") {
    return { status: 200, body: host };
  }
  if (method === "DELETE") {
    state.proxyHosts.delete(id);
    return { status: 200, body: true };
  }
  if (method !== "PUT") {
    throw new HttpError(404, "Not Found");
  }

  const fields = validateProxyHost(body, false);
  if (Array.isArray(fields.domain_names)) {
    state.checkDomainsFree(fields.domain_names as string[], id);
  }
  const updated = { ...host, ...fields, modified_on: new Date().toISOString() };
  state.proxyHosts.set(id, updated);
  return { status: 200, body: updated };
}

/** Applies the checks of NPM's proxy-host schema that Berth's requests can hit. */
function validateProxyHost(body: unknown, creating: boolean): Record<string, unknown> {
  const fields = asObject(body);
  const extra = Object.keys(fields).find((key) => !PROXY_HOST_FIELDS.has(key));
  if (extra !== undefined) {
    throw new HttpError(400, `data must NOT have additional properties (${extra})`);
  }
  if (!creating && Object.keys(fields).length === 0) {
    throw new HttpError(400, "data must NOT have fewer than 1 properties");
  }
  const missing = creating ? REQUIRED_FIELDS.find((key) => !(key in fields)) : undefined;
  if (missing !== undefined) {
    throw new HttpError(400, `data must have required property '${missing}'`);
  }

  if ("domain_names" in fields) checkDomainNames(fields.domain_names);
  if ("forward_scheme" in fields && !["http", "https"].includes(fields.forward_scheme as string)) {
    throw new HttpError(400, "data/forward_scheme must be equal to one of the allowed values");
  }
  if ("forward_host" in fields) {
    const host = fields.forward_host;
    if (typeof host !== "string" || host.length < 1 || host.length > 255) {
      throw new HttpError(400, "data/forward_host must be a string of 1 to 255 characters");
    }
  }
  if ("forward_port" in fields) {
    const port = fields.forward_port;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
      throw new HttpError(400, "data/forward_port must be an integer from 1 to 65535");
    }
  }
  return fields;
}

function checkDomainNames(value: unknown): void {
  if (!Array.isArray(value) || value.length < 1 || value.length > 100) {
    throw new HttpError(400, "data/domain_names must have 1 to 100 items");
  }
  if (new Set(value).size !== value.length) {
    throw new HttpError(400, "data/domain_names must NOT have duplicate items");
  }
  const bad = value.find(
    (domain) => typeof domain !== "string" || FORBIDDEN_DOMAIN_CHARACTERS.test(domain),
  );
  if (bad !== undefined) {
    throw new HttpError(400, `data/domain_names must match pattern (${String(bad)})`);
  }
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "data must be object");
  }
  return body as Record<string, unknown>;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  if (text === "") {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Unexpected token in JSON body");
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}
