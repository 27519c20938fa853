import type { ImageInspection } from "./types.js";

/** What the quick deploy form proposes from an inspected image; every field stays editable. */
export interface QuickDeployProposal {
  slug: string;
  stage: string;
  tag: string;
  containerPort: string;
}

/** Proposes a slug from the repository's last segment, stage `dev`, and the first exposed port. */
export function proposeQuickDeploy(inspection: ImageInspection): QuickDeployProposal {
  const name = inspection.repository.split("/").at(-1) ?? "";
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  const port = inspection.exposedPorts?.[0]?.split("/")[0] ?? "";
  return {
    slug,
    stage: "dev",
    tag: inspection.tag ?? inspection.tags[0] ?? "",
    containerPort: port,
  };
}

/**
 * Replaces the tag of an image reference: `host/acme/shop:1.0` with `1.2` gives
 * `host/acme/shop:1.2`. A colon before the last slash belongs to a registry port, not a tag.
 */
export function withTag(image: string, tag: string): string {
  const withoutDigest = image.split("@")[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const base = colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
  return `${base}:${tag}`;
}
