/**
 * Docker Hub push webhooks: `{ push_data: { tag, pushed_at, images }, repository: { repo_name,
 * namespace, name } }`, unsigned. One multi-arch push sends several identical deliveries, and
 * `images` is often empty, so only the repository and tag are read. Berth never calls the
 * payload's `callback_url`, because Docker Hub takes the response status as the delivery
 * result and the payload is unsigned.
 */
import { z } from "zod";
import { ignored, type ParsedDelivery } from "./delivery.js";
import { parseImage } from "./image.js";
import { parsePayloadFields } from "./payload.js";

const dockerHubSchema = z.object({
  push_data: z.object({
    tag: z.string(),
    pushed_at: z.number().optional(),
  }),
  repository: z.object({
    repo_name: z.string().min(1).optional(),
    namespace: z.string().optional(),
    name: z.string().min(1),
  }),
});

export function parseDockerHubDelivery(payload: unknown): ParsedDelivery {
  const body = parsePayloadFields(
    dockerHubSchema,
    payload,
    "Docker Hub push payload",
    "check that the sender is a Docker Hub repository webhook; other senders use the generic endpoint",
  );
  const tag = body.push_data.tag;
  if (tag === "") {
    return ignored("push without a tag");
  }
  const repository = body.repository;
  const namespace = repository.namespace ?? "";
  const path =
    namespace === "" || namespace === "library"
      ? `library/${repository.name}`
      : (repository.repo_name ?? `${namespace}/${repository.name}`);
  const { image } = parseImage(`docker.io/${path}:${tag}`);
  return { kind: "push", image, tag, digest: null };
}
