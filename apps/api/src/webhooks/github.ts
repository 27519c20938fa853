/**
 * GitHub package webhooks: `X-GitHub-Event: package` (or the older `registry_package`, whose
 * payload key is `registry_package`), actions `published` and `updated`. A multi-arch push
 * sends one event per manifest; only the index carries a tag in
 * `package_version.container_metadata.tag.name`, the others have an empty name.
 */
import { z } from "zod";
import { digestOrNull, ignored, isDigestVersion, type ParsedDelivery } from "./delivery.js";
import { WebhookPayloadError } from "./errors.js";
import { parseImage } from "./image.js";

const PUSH_ACTIONS = new Set(["published", "updated"]);

const githubPackageSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  owner: z.object({ login: z.string().min(1) }),
  package_type: z.string().optional(),
  ecosystem: z.string().optional(),
  registry: z.object({ url: z.string().optional() }).nullish(),
  package_version: z.object({
    version: z.string().optional(),
    name: z.string().optional(),
    container_metadata: z
      .object({
        tag: z.object({ name: z.string(), digest: z.string().optional() }).nullish(),
      })
      .nullish(),
  }),
});

const githubBodySchema = z.object({
  action: z.string(),
  package: githubPackageSchema.optional(),
  registry_package: githubPackageSchema.optional(),
});

export function parseGithubDelivery(event: string | undefined, payload: unknown): ParsedDelivery {
  if (event !== "package" && event !== "registry_package") {
    return ignored(`event ${event ?? "(none)"} is not a package event`);
  }
  const body = githubBodySchema.parse(payload);
  const pkg = event === "package" ? body.package : body.registry_package;
  if (!pkg) {
    throw new WebhookPayloadError(
      `${event} event has no "${event}" object: send the payload GitHub sends for this event`,
    );
  }
  if (!PUSH_ACTIONS.has(body.action)) {
    return ignored(`package action ${body.action} is not a push`);
  }
  const type = pkg.package_type ?? pkg.ecosystem ?? "";
  if (type.toLowerCase() !== "container") {
    return ignored(`package type ${type || "(none)"} is not a container image`);
  }

  const version = pkg.package_version;
  const tag = version.container_metadata
    ? (version.container_metadata.tag?.name ?? "")
    : (version.name ?? version.version ?? "");
  if (tag === "" || isDigestVersion(tag)) {
    return ignored("untagged manifest (a platform manifest of a multi-arch push)");
  }

  const host = registryHost(pkg.registry?.url);
  const owner = pkg.namespace ?? pkg.owner.login;
  const { image } = parseImage(`${host}/${owner}/${pkg.name}:${tag}`);
  const digest = digestOrNull(version.container_metadata?.tag?.digest);
  return { kind: "push", image, tag, digest };
}

function registryHost(url: string | undefined): string {
  try {
    return url ? new URL(url).host : "ghcr.io";
  } catch {
    return "ghcr.io";
  }
}
