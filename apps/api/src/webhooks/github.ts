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
import { parsePayloadFields } from "./payload.js";

const PUSH_ACTIONS = new Set(["published", "updated"]);

/**
 * The fields that decide whether a delivery is a container push at all. GitHub's webhook
 * schema allows a null `owner` and `package_version`, so nothing else is required of a
 * package this parser ignores.
 */
const githubEventSchema = z.object({
  action: z.string(),
  package: z.unknown().optional(),
  registry_package: z.unknown().optional(),
});

const githubKindSchema = z.object({
  package_type: z.string().nullish(),
  ecosystem: z.string().nullish(),
});

/** The fields a container push is read from. */
const githubContainerSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  owner: z.object({ login: z.string().min(1) }),
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

const HINT =
  "check that the hook sends GitHub's Packages (or Registry packages) events; other senders use the generic endpoint";

export function parseGithubDelivery(event: string | undefined, payload: unknown): ParsedDelivery {
  if (event !== "package" && event !== "registry_package") {
    return ignored(`event ${event ?? "(none)"} is not a package event`);
  }
  const body = parsePayloadFields(githubEventSchema, payload, `${event} event`, HINT);
  const packageObject = event === "package" ? body.package : body.registry_package;
  if (packageObject === undefined || packageObject === null) {
    throw new WebhookPayloadError(
      `${event} event has no "${event}" object: send the payload GitHub sends for this event`,
    );
  }
  if (!PUSH_ACTIONS.has(body.action)) {
    return ignored(`package action ${body.action} is not a push`);
  }
  // The type is read before the container fields, so that an npm or Maven package, whose
  // payload need not look like a container's, is acknowledged instead of rejected.
  const typeFields = parsePayloadFields(
    packageAt(event, githubKindSchema),
    payload,
    `${event} event`,
    HINT,
  );
  const type = typeFields.package_type ?? typeFields.ecosystem ?? "";
  if (type.toLowerCase() !== "container") {
    return ignored(`package type ${type || "(none)"} is not a container image`);
  }

  const pkg = parsePayloadFields(
    packageAt(event, githubContainerSchema),
    payload,
    `container ${event} event`,
    HINT,
  );

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

/**
 * Reads the package object under the event's payload key, so issue paths name the key as the
 * sender wrote it, e.g. `registry_package.name`.
 */
function packageAt<T>(event: "package" | "registry_package", schema: z.ZodType<T>): z.ZodType<T> {
  // zod types a computed key as an index signature; the object schema requires the key.
  return z.object({ [event]: schema }).transform((body) => body[event] as T);
}

function registryHost(url: string | undefined): string {
  try {
    return url ? new URL(url).host : "ghcr.io";
  } catch {
    return "ghcr.io";
  }
}
