import type { Secrets } from "@berth/store";
import type { RequireAuthDeps } from "../auth/middleware.js";

/** Dependencies of the REST resource routes. */
export interface ResourceDeps extends RequireAuthDeps {
  /** Encrypts registry tokens and secret stage variables. */
  secrets: Secrets;
  /** Time limit of one request to a registry, from `BERTH_REGISTRY_TIMEOUT_SECONDS`. */
  registryTimeoutSeconds?: number | undefined;
  /** Version shown in the OpenAPI document. */
  version?: string | undefined;
}
