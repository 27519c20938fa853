import type { ClientDefaults } from "../defaults.js";
import { OciRegistry } from "./client.js";

/** A plain OCI Distribution registry (distribution, Harbor, Zot, Nexus…); `url` is required. */
export function createOciRegistry(options: ClientDefaults): OciRegistry {
  return new OciRegistry({ ...options, type: "oci" });
}
