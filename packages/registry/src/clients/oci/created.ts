import { RegistryError } from "../../errors.js";
import { errorForStatus, parseJson, type ResponseContext } from "../../http/responses.js";
import type { HttpResponse } from "../../http/transport.js";

/** Sends an authorised GET for a path under `/v2/<name>/`. */
export type GetUnderRepository = (path: string, accept: string) => Promise<HttpResponse>;

interface ManifestJson {
  mediaType?: unknown;
  manifests?: { digest?: unknown; platform?: { os?: unknown; architecture?: unknown } }[];
  config?: { digest?: unknown };
}

/**
 * Reads when an image was built: the `created` field of its config blob. For a
 * multi-platform index it reads the linux/amd64 image (or the first one listed). Costs two
 * GETs for an image, three for an index, so callers use it only for the tags they rank.
 */
export async function readCreatedAt(
  get: GetUnderRepository,
  tag: string,
  accept: string,
  context: ResponseContext,
): Promise<Date | undefined> {
  let manifest = await getJson<ManifestJson>(
    get,
    `manifests/${encodeURIComponent(tag)}`,
    accept,
    context,
  );
  if (Array.isArray(manifest.manifests)) {
    const chosen = chooseImage(manifest.manifests);
    if (typeof chosen?.digest !== "string") {
      return undefined;
    }
    manifest = await getJson<ManifestJson>(get, `manifests/${chosen.digest}`, accept, context);
  }

  const configDigest = manifest.config?.digest;
  if (typeof configDigest !== "string") {
    return undefined;
  }
  const config = await getJson<{ created?: unknown }>(get, `blobs/${configDigest}`, "*/*", context);
  const created = typeof config.created === "string" ? new Date(config.created) : undefined;
  return created && !Number.isNaN(created.getTime()) ? created : undefined;
}

function chooseImage(manifests: NonNullable<ManifestJson["manifests"]>) {
  return (
    manifests.find(
      (entry) => entry.platform?.os === "linux" && entry.platform.architecture === "amd64",
    ) ?? manifests[0]
  );
}

async function getJson<T>(
  get: GetUnderRepository,
  path: string,
  accept: string,
  context: ResponseContext,
): Promise<T> {
  const response = await get(path, accept);
  if (response.status !== 200) {
    throw errorForStatus(response, context);
  }
  const body = parseJson<unknown>(response, context);
  if (typeof body !== "object" || body === null) {
    throw new RegistryError(
      `registry ${context.registry} returned a non-object JSON document for ${context.action}`,
      { kind: "protocol", registry: context.registry, repository: context.repository },
    );
  }
  return body as T;
}
