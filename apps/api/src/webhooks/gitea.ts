/**
 * Gitea and Forgejo package webhooks: `X-Gitea-Event: package` (Forgejo also sends
 * `X-Forgejo-Event`), body `{ action, package: { type, name, version, owner, html_url } }`.
 * They fire on every manifest PUT, including the per-platform manifests pushed by digest,
 * and for packages of other types, such as npm, too.
 */
import { z } from "zod";
import { ignored, isDigestVersion, type ParsedDelivery } from "./delivery.js";
import { WebhookPayloadError } from "./errors.js";
import { parseImage } from "./image.js";
import { parsePayloadFields } from "./payload.js";

/** The fields that decide whether a delivery is a container push at all. */
const giteaEventSchema = z.object({
  action: z.string(),
  package: z.object({ type: z.string() }),
});

/** The fields a container push is read from. */
const giteaContainerSchema = z.object({
  package: z.object({
    name: z.string().min(1),
    version: z.string(),
    html_url: z.string().optional(),
    owner: z.object({ login: z.string().min(1) }),
  }),
});

const HINT =
  "check that the hook is a Gitea or Forgejo hook that sends package events; other senders use the generic endpoint";

/** Parses a Gitea or Forgejo delivery; `event` is the event header's value. */
export function parseGiteaDelivery(event: string | undefined, payload: unknown): ParsedDelivery {
  if (event !== "package") {
    return ignored(`event ${event ?? "(none)"} is not a package event`);
  }
  // Action and type are read before the rest, so that a delete or an npm package, whose
  // payload need not look like a container's, is acknowledged instead of rejected.
  const {
    action,
    package: { type },
  } = parsePayloadFields(giteaEventSchema, payload, "package event", HINT);
  if (action !== "created") {
    return ignored(`package action ${action} is not a push`);
  }
  if (type.toLowerCase() !== "container") {
    return ignored(`package type ${type} is not a container image`);
  }

  const pkg = parsePayloadFields(
    giteaContainerSchema,
    payload,
    "container package event",
    HINT,
  ).package;
  if (isDigestVersion(pkg.version) || pkg.version === "") {
    return ignored(`version ${pkg.version || "(empty)"} is a manifest pushed by digest, not a tag`);
  }

  const host = registryHost(pkg.html_url);
  const { image } = parseImage(`${host}/${pkg.owner.login}/${pkg.name}:${pkg.version}`);
  return { kind: "push", image, tag: pkg.version, digest: null };
}

/** Returns Gitea's own host, which is also its registry host, from the package's web page URL. */
function registryHost(htmlUrl: string | undefined): string {
  try {
    return new URL(htmlUrl ?? "").host;
  } catch {
    throw new WebhookPayloadError(
      `package.html_url ${htmlUrl ?? "(missing)"} is not a URL: the registry host is taken from it`,
    );
  }
}
