/**
 * Gitea and Forgejo package webhooks: `X-Gitea-Event: package` (Forgejo also sends
 * `X-Forgejo-Event`), body `{ action, package: { type, name, version, owner, html_url } }`.
 * They fire on every manifest PUT, including the per-platform manifests pushed by digest.
 */
import { z } from "zod";
import { ignored, isDigestVersion, type ParsedDelivery } from "./delivery.js";
import { WebhookPayloadError } from "./errors.js";
import { parseImage } from "./image.js";

const giteaPackageSchema = z.object({
  action: z.string(),
  package: z.object({
    type: z.string(),
    name: z.string().min(1),
    version: z.string(),
    html_url: z.string().optional(),
    owner: z.object({ login: z.string().min(1) }),
  }),
});

/** Parses a Gitea or Forgejo delivery; `event` is the event header's value. */
export function parseGiteaDelivery(event: string | undefined, payload: unknown): ParsedDelivery {
  if (event !== "package") {
    return ignored(`event ${event ?? "(none)"} is not a package event`);
  }
  const body = giteaPackageSchema.parse(payload);
  const pkg = body.package;
  if (body.action !== "created") {
    return ignored(`package action ${body.action} is not a push`);
  }
  if (pkg.type.toLowerCase() !== "container") {
    return ignored(`package type ${pkg.type} is not a container image`);
  }
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
