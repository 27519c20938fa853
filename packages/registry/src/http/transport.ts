import { createFetch } from "ofetch";
import pLimit, { type LimitFunction } from "p-limit";
import { RegistryError } from "../errors.js";
import { createNodeFetch, type NodeFetch } from "./node-fetch.js";
import { parseRateLimit, type RateLimit } from "./rate-limit.js";

export interface TransportOptions {
  /** Registry name for messages (its URL unless the caller named it). */
  registryName: string;
  /** Per-request time limit in milliseconds, body included. */
  timeoutMs: number;
  /** Maximum requests in flight to this registry. */
  concurrency: number;
  userAgent: string;
}

export interface HttpRequest {
  url: string;
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Repository the request is about, for error messages. */
  repository?: string | undefined;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The body as text; empty for HEAD. */
  body: string;
  /** Final URL after redirects. */
  url: string;
}

/** Counters for the benchmark and for tests of connection reuse. */
export interface TransportStats {
  requests: number;
  connections: number;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * HTTP for one registry: ofetch over `node:http` keep-alive agents, a time limit on every
 * request, a limit on requests in flight, and redirects followed by hand so a loop is
 * reported and credentials never go to another origin.
 */
export class HttpTransport {
  #requests = 0;
  #rateLimit: RateLimit | undefined;
  readonly #options: TransportOptions;
  readonly #nodeFetch: NodeFetch;
  readonly #limit: LimitFunction;
  readonly #fetch: ReturnType<typeof createFetch>;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency);
    this.#nodeFetch = createNodeFetch(options.concurrency);
    this.#fetch = createFetch({
      fetch: this.#nodeFetch.fetch,
      Headers: globalThis.Headers,
      AbortController: globalThis.AbortController,
    });
  }

  /** Requests sent and connections opened so far. */
  get stats(): TransportStats {
    return { requests: this.#requests, connections: this.#nodeFetch.connections() };
  }

  /** The last pull allowance the registry reported, if it reports one. */
  get rateLimit(): RateLimit | undefined {
    return this.#rateLimit;
  }

  /** Sends a request and reads the whole body; any status comes back as a response. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    return await this.#limit(() => this.#sendFollowingRedirects(request));
  }

  async close(): Promise<void> {
    this.#nodeFetch.close();
  }

  async #sendFollowingRedirects(request: HttpRequest): Promise<HttpResponse> {
    const visited: string[] = [];
    let url = request.url;
    let headers = { ...request.headers };
    for (;;) {
      visited.push(url);
      const response = await this.#sendOnce({ ...request, url, headers });
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || !location) {
        return response;
      }

      const target = new URL(location, url).toString();
      if (visited.includes(target) || visited.length > MAX_REDIRECTS) {
        throw new RegistryError(
          `registry ${this.#options.registryName} redirected ${visited.length} times (${[...visited, target].join(" -> ")}): check the registry URL and its proxy`,
          {
            kind: "protocol",
            registry: this.#options.registryName,
            repository: request.repository,
            status: response.status,
          },
        );
      }
      if (new URL(target).origin !== new URL(url).origin) {
        headers = withoutAuthorization(headers);
      }
      url = target;
    }
  }

  async #sendOnce(request: HttpRequest): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const method = request.method ?? "GET";
    this.#requests += 1;
    try {
      const response = await this.#fetch.raw<string, "text">(request.url, {
        method,
        headers: { "user-agent": this.#options.userAgent, ...request.headers },
        signal,
        redirect: "manual",
        retry: 0,
        ignoreResponseError: true,
        responseType: "text",
      });
      this.#rateLimit = parseRateLimit(response.headers) ?? this.#rateLimit;
      return {
        status: response.status,
        headers: response.headers,
        body: method === "HEAD" ? "" : (response._data ?? ""),
        url: request.url,
      };
    } catch (error) {
      if (request.signal?.aborted) {
        throw request.signal.reason;
      }
      throw this.#transportError(error, request, timeout.aborted);
    }
  }

  #transportError(error: unknown, request: HttpRequest, timedOut: boolean): RegistryError {
    const registry = this.#options.registryName;
    const target = `${request.method ?? "GET"} ${new URL(request.url).pathname}`;
    if (timedOut) {
      return new RegistryError(
        `registry ${registry} did not respond to ${target} within ${this.#options.timeoutMs} ms: check that it is up, or raise the timeout`,
        { kind: "timeout", registry, repository: request.repository, cause: error },
      );
    }
    const reason = rootCause(error);
    return new RegistryError(
      `could not reach registry ${registry} for ${target}: ${reason}; check the URL and that the registry is running`,
      { kind: "network", registry, repository: request.repository, cause: error },
    );
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"),
  );
}

/** Returns the innermost message of an error chain (`ECONNREFUSED …` rather than `fetch failed`). */
function rootCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) {
    current = current.cause;
  }
  return current instanceof Error ? current.message : String(current);
}
