import type { ClientDefaults } from "./clients/defaults.js";
import { createDockerHubRegistry, DOCKER_HUB_URL } from "./clients/dockerhub/index.js";
import { createGhcrRegistry, GHCR_URL } from "./clients/ghcr/index.js";
import { GiteaRegistry } from "./clients/gitea/client.js";
import { createOciRegistry } from "./clients/oci/index.js";
import { RegistryConfigError } from "./config-errors.js";
import { REGISTRY_TYPES, type Registry, type RegistryType } from "./registry.js";

export interface CreateRegistryOptions {
  /** One of `gitea`, `forgejo`, `oci`, `dockerhub`, `ghcr`. */
  type: RegistryType;
  /**
   * Base URL, e.g. `http://127.0.0.1:5000` or `https://gitea.example.test`. Required except
   * for `dockerhub` (default https://registry-1.docker.io) and `ghcr` (https://ghcr.io).
   */
  url?: string | undefined;
  /** Name used in messages; the URL when not given. */
  name?: string | undefined;
  username?: string | undefined;
  /** Password, personal access token or Gitea token. */
  token?: string | undefined;
  /** Time limit per request in milliseconds, body included. Default 15000. */
  timeoutMs?: number | undefined;
  /** Requests in flight to this registry at most. Default 8. */
  concurrency?: number | undefined;
  /** Tags per page asked from `/v2/…/tags/list`. Default 1000. */
  pageSize?: number | undefined;
  /** Pages followed per listing at most. Default 1000. */
  maxPages?: number | undefined;
  userAgent?: string | undefined;
}

const DEFAULT_URLS: Partial<Record<RegistryType, string>> = {
  dockerhub: DOCKER_HUB_URL,
  ghcr: GHCR_URL,
};

/**
 * Creates the client for a registry. Options are checked here, once.
 *
 * @throws RegistryConfigError naming the option, the value and what is accepted.
 */
export function createRegistry(options: CreateRegistryOptions): Registry {
  const type = checkType(options.type);
  const url = checkUrl(options.url ?? DEFAULT_URLS[type], type);
  const defaults: ClientDefaults = {
    url,
    name: options.name ?? url,
    username: options.username,
    token: options.token,
    timeoutMs: checkPositiveInteger("timeoutMs", options.timeoutMs, 15_000),
    concurrency: checkPositiveInteger("concurrency", options.concurrency, 8),
    pageSize: checkPositiveInteger("pageSize", options.pageSize, 1000),
    maxPages: checkPositiveInteger("maxPages", options.maxPages, 1000),
    userAgent: options.userAgent ?? "berth-registry",
  };

  switch (type) {
    case "oci":
      return createOciRegistry(defaults);
    case "dockerhub":
      return createDockerHubRegistry(defaults);
    case "ghcr":
      return createGhcrRegistry(defaults);
    case "gitea":
    case "forgejo":
      return new GiteaRegistry(type, defaults);
  }
}

function checkType(type: unknown): RegistryType {
  if (typeof type === "string" && (REGISTRY_TYPES as readonly string[]).includes(type)) {
    return type as RegistryType;
  }
  throw new RegistryConfigError(
    "type",
    `unknown registry type ${JSON.stringify(type)}: use one of ${REGISTRY_TYPES.join(", ")}`,
  );
}

function checkUrl(value: string | undefined, type: RegistryType): string {
  if (value === undefined || value.trim() === "") {
    throw new RegistryConfigError(
      "url",
      `registry type ${type} needs a url, e.g. http://127.0.0.1:5000 or https://gitea.example.test`,
    );
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new RegistryConfigError(
      "url",
      `registry url "${value}" is not a URL: write it with its scheme, e.g. https://${value}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RegistryConfigError(
      "url",
      `registry url "${value}" must start with http:// or https://`,
    );
  }
  if (url.username || url.password) {
    // Never echo the value here: it contains a credential.
    throw new RegistryConfigError(
      "url",
      "the registry url contains credentials: pass them as username and token instead",
    );
  }
  if (url.search || url.hash) {
    throw new RegistryConfigError(
      "url",
      `registry url "${value}" must not have a query or fragment`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function checkPositiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isInteger(value) || value <= 0) {
    throw new RegistryConfigError(option, `${option} must be a positive integer, got ${value}`);
  }
  return value;
}
