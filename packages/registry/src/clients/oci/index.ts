import type { ClientDefaults } from "../defaults.js";
import { OciRegistry } from "./client.js";

/** Creates a client for a plain OCI Distribution registry (distribution, Harbor, Zot, Nexus…). */
export function createOciRegistry(options: ClientDefaults): OciRegistry {
  return new OciRegistry({ ...options, type: "oci" });
}
