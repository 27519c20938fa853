/**
 * Normalises image names from webhook payloads to the form projects are matched by:
 * `registry/repository`, lowercase, with Docker Hub's aliases and `library/` rule applied.
 *
 * TODO: swap for `parseImageReference` from @berth/registry once it is exported there.
 */
import { WebhookPayloadError } from "./errors.js";

/** Repository path components, from the OCI distribution spec's name grammar. */
const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
/** Tag grammar from the OCI distribution spec. */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

export interface ImageReference {
  /** Registry host with port, e.g. `gitea.example.test` or `docker.io`. */
  registry: string;
  /** Repository inside the registry, lowercase, e.g. `acme/app` or `library/nginx`. */
  repository: string;
  /** The tag as written, or `undefined` when the reference has none. */
  tag: string | undefined;
  digest: string | undefined;
}

/**
 * Parses `host[:port]/path[:tag][@digest]`. The first component is a registry host when it
 * contains `.` or `:`, is `localhost`, or has uppercase letters (Docker's rule); otherwise the
 * image is on Docker Hub. Mixed-case paths such as `ghcr.io/Acme/App` are lowercased, since
 * registries store repositories lowercase; the tag keeps its case.
 */
export function parseImage(reference: string): ImageReference {
  const [rest = "", digest] = splitOnce(reference.trim(), "@");
  const lastSlash = rest.lastIndexOf("/");
  const tagColon = rest.indexOf(":", lastSlash + 1);
  const name = tagColon === -1 ? rest : rest.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : rest.slice(tagColon + 1);

  const [first = "", remainder] = splitOnce(name, "/");
  const hasHost =
    remainder !== undefined &&
    (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase());
  let registry = hasHost ? first.toLowerCase() : "docker.io";
  let repository = (hasHost ? (remainder ?? "") : name).toLowerCase();
  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = "docker.io";
  }
  if (registry === "docker.io" && !repository.includes("/")) {
    repository = `library/${repository}`;
  }

  if (!REPOSITORY.test(repository)) {
    throw new WebhookPayloadError(
      `image ${reference} has an invalid repository name ${repository}: use lowercase letters, digits and separators`,
    );
  }
  if (tag !== undefined && !TAG.test(tag)) {
    throw new WebhookPayloadError(
      `image ${reference} has an invalid tag ${tag}: tags are up to 128 letters, digits, '_', '.' or '-'`,
    );
  }
  if (digest !== undefined && !DIGEST.test(digest)) {
    throw new WebhookPayloadError(`image ${reference} has an invalid digest ${digest}`);
  }
  return { registry, repository, tag, digest };
}

/** `registry/repository`, the image key deliveries and projects share. */
export function imageName(reference: Pick<ImageReference, "registry" | "repository">): string {
  return `${reference.registry}/${reference.repository}`;
}

function splitOnce(value: string, separator: string): [string, string | undefined] {
  const index = value.indexOf(separator);
  return index === -1 ? [value, undefined] : [value.slice(0, index), value.slice(index + 1)];
}
