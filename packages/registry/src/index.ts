/**
 * @berth/registry: image references, tag filters and selection (also in the browser through
 * `@berth/registry/select`), and clients for Gitea, Forgejo, OCI registries, Docker Hub and GHCR.
 */

export { type AuthChallenge, parseWwwAuthenticate } from "./auth/challenge.js";
export { MANIFEST_ACCEPT } from "./clients/oci/client.js";
export { RegistryConfigError } from "./config-errors.js";
export { type CreateRegistryOptions, createRegistry } from "./create-registry.js";
export {
  isRegistryError,
  RegistryError,
  type RegistryErrorDetails,
  type RegistryErrorKind,
} from "./errors.js";
export { nextLink } from "./http/link.js";
export { parseRateLimit, type RateLimit, retryAfterSeconds } from "./http/rate-limit.js";
export type { TransportStats } from "./http/transport.js";
export {
  type AccessCheck,
  type CreatedAtOptions,
  type DatedTags,
  type LatestTagOptions,
  REGISTRY_TYPES,
  type Registry,
  type RegistryTag,
  type RegistryType,
  type RequestOptions,
} from "./registry.js";
export * from "./select.js";
