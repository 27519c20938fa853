import { ImageReferenceError } from "./config-errors.js";

/** An image reference split into its parts, with Docker Hub names normalised. */
export interface ImageReference {
  /** Registry host with optional port, lower case: `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path, lower case: `library/nginx`, `acme/tools/el9/app`. */
  repository: string;
  /** Tag as written (tags are case-sensitive). `latest` when neither tag nor digest is given. */
  tag?: string;
  /** Manifest digest, `sha256:` and 64 lower-case hex digits for sha256. */
  digest?: string;
}

/** The canonical Docker Hub name, and the host its registry API runs on. */
export const DOCKER_HUB = "docker.io";
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, "index.docker.io", DOCKER_HUB_API_HOST]);

// Grammar of the OCI distribution reference (distribution/reference, regexp.go).
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::([0-9]+))?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME_LENGTH = 255;

/**
 * Parses an image reference such as `registry.example.test:5000/acme/app:1.2.3`,
 * `nginx`, `ghcr.io/acme/app@sha256:…`.
 *
 * - The first path part is the registry when it contains `.` or `:` or is `localhost`.
 *   Otherwise the image is on Docker Hub (`docker.io`), where a one-part name gets `library/`.
 * - `index.docker.io` and `registry-1.docker.io` become `docker.io`.
 * - Registries require lower-case repositories, so `ghcr.io/Acme/App` becomes `acme/app`.
 *   The tag keeps its case.
 *
 * @throws ImageReferenceError quoting the reference and saying what is wrong.
 */
export function parseImageReference(ref: string): ImageReference {
  const input = ref.trim();
  if (input === "") {
    throw new ImageReferenceError(
      ref,
      "it is empty: write e.g. registry.example.test/acme/app:1.0",
    );
  }
  if (/\s/.test(input)) {
    throw new ImageReferenceError(ref, "it contains whitespace");
  }

  const { remainder, digest } = splitDigest(ref, input);
  const { name, tag } = splitTag(ref, remainder);
  const { registry, path } = splitRegistry(ref, name);
  const repository = normaliseRepository(ref, registry, path);
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    throw new ImageReferenceError(ref, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  }

  const result: ImageReference = { registry, repository };
  if (tag !== undefined) {
    result.tag = tag;
  } else if (digest === undefined) {
    result.tag = "latest";
  }
  if (digest !== undefined) {
    result.digest = digest;
  }
  return result;
}

/** Writes a reference back as `registry/repository[:tag][@digest]`. */
export function formatImageReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? "" : `:${reference.tag}`;
  const digest = reference.digest === undefined ? "" : `@${reference.digest}`;
  return `${reference.registry}/${reference.repository}${tag}${digest}`;
}

/** Returns the host that serves the registry API: `registry-1.docker.io` for Docker Hub. */
export function registryApiHost(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB_API_HOST : registry;
}

/**
 * Returns the keys a credential for `registry` may be stored under, most specific first.
 * `docker login` writes Docker Hub credentials under `https://index.docker.io/v1/`, and
 * people also write `index.docker.io`, `docker.io` or `registry-1.docker.io`, so a lookup
 * for Docker Hub tries all four.
 */
export function registryAuthKeys(registry: string): string[] {
  const host = registry.toLowerCase();
  if (!DOCKER_HUB_ALIASES.has(host)) {
    return [host];
  }
  return ["https://index.docker.io/v1/", "index.docker.io", DOCKER_HUB, DOCKER_HUB_API_HOST];
}

function splitDigest(ref: string, input: string): { remainder: string; digest?: string } {
  const at = input.indexOf("@");
  if (at < 0) {
    return { remainder: input };
  }

  const digest = input.slice(at + 1);
  if (digest.includes("@")) {
    throw new ImageReferenceError(ref, "it contains more than one @");
  }
  if (!DIGEST.test(digest) || (digest.startsWith("sha256:") && !SHA256_DIGEST.test(digest))) {
    throw new ImageReferenceError(
      ref,
      `the digest "${digest}" is not valid: expected sha256: followed by 64 lower-case hex digits`,
    );
  }
  return { remainder: input.slice(0, at), digest };
}

function splitTag(ref: string, remainder: string): { name: string; tag?: string } {
  // The tag follows the last colon after the last slash; a colon before it belongs to a port.
  const slash = remainder.lastIndexOf("/");
  const colon = remainder.lastIndexOf(":");
  if (colon <= slash) {
    return { name: remainder };
  }

  const tag = remainder.slice(colon + 1);
  if (!TAG.test(tag)) {
    throw new ImageReferenceError(
      ref,
      `the tag "${tag}" is not valid: use up to 128 letters, digits, _ . or -, not starting with . or -`,
    );
  }
  return { name: remainder.slice(0, colon), tag };
}

function splitRegistry(ref: string, name: string): { registry: string; path: string[] } {
  const parts = name.split("/");
  const first = parts[0] ?? "";
  const hasRegistry =
    parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (!hasRegistry) {
    return { registry: DOCKER_HUB, path: parts };
  }

  const match = DOMAIN.exec(first);
  const port = match?.[1];
  if (!match || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    throw new ImageReferenceError(ref, `the registry "${first}" is not a valid host[:port]`);
  }
  const host = first.toLowerCase();
  return { registry: DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host, path: parts.slice(1) };
}

function normaliseRepository(ref: string, registry: string, path: string[]): string {
  const components = path.map((part) => part.toLowerCase());
  for (const component of components) {
    if (component === "") {
      throw new ImageReferenceError(
        ref,
        "the repository has an empty path part (// or a / at an end)",
      );
    }
    if (!PATH_COMPONENT.test(component)) {
      throw new ImageReferenceError(
        ref,
        `the repository part "${component}" is not valid: use letters, digits and single . _ __ or - between them`,
      );
    }
  }

  if (registry === DOCKER_HUB && components.length === 1) {
    components.unshift("library");
  }
  return components.join("/");
}
