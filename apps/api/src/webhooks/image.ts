/**
 * Normalises image names from webhook payloads to the form projects are matched by:
 * `registry/repository`, lowercase, with Docker Hub's aliases and `library/` rule applied.
 */
import { ImageReferenceError, parseImageReference } from "@berth/registry";
import { WebhookPayloadError } from "./errors.js";

/** A pushed image: `registry/repository` and the tag as written, if the reference has one. */
export interface PushedImage {
  image: string;
  tag: string | undefined;
}

/**
 * Parses an image reference from a payload. Mixed-case paths such as `ghcr.io/Acme/App` are
 * lowercased because registries store repositories lowercase, and the tag keeps its case.
 * A reference without a tag gets `tag: undefined`, not Docker's implied `latest`.
 */
export function parseImage(reference: string): PushedImage {
  try {
    const parsed = parseImageReference(reference);
    return {
      image: `${parsed.registry}/${parsed.repository}`,
      tag: hasExplicitTag(reference) ? parsed.tag : undefined,
    };
  } catch (error) {
    if (error instanceof ImageReferenceError) {
      throw new WebhookPayloadError(error.message, { cause: error });
    }
    throw error;
  }
}

/** True when the last path part, before any `@digest`, carries a `:tag`. */
function hasExplicitTag(reference: string): boolean {
  const name = reference.split("@")[0] ?? "";
  return (name.split("/").pop() ?? "").includes(":");
}
