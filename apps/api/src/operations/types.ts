import type { DockerClient } from "@berth/deployer";
import type { Secrets } from "@berth/store";
import type { RequireAuthDeps } from "../auth/middleware.js";

/** Dependencies of the deploy, instance and settings routes. */
export interface OperationsDeps extends RequireAuthDeps {
  secrets: Secrets;
  /** The Docker client, or undefined when no engine is configured or reachable. */
  docker: () => DockerClient | undefined;
  /** Tells the deploy worker that a deploy was queued, so it starts without waiting. */
  wake?: (() => void) | undefined;
}
