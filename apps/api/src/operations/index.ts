import { OpenAPIHono } from "@hono/zod-openapi";
import type { AuthEnv } from "../auth/principal.js";
import { registerDeployRoutes } from "./deploys.js";
import { registerInstanceRoutes } from "./instances.js";
import { registerQuickDeployRoutes } from "./quick-deploy.js";
import { registerSettingsRoutes } from "./settings.js";
import { registerSettingsCheckRoutes } from "./settings-checks.js";
import type { OperationsDeps } from "./types.js";

export type { OperationsDeps } from "./types.js";

/** Deploys, instances, settings and quick deploy, for mounting at `/api/v1`. */
export function operationRoutes(deps: OperationsDeps): OpenAPIHono<AuthEnv> {
  const app = new OpenAPIHono<AuthEnv>({
    // Validation failures go to the app's error handler, which answers 422 with field details.
    defaultHook: (result) => {
      if (!result.success) {
        throw result.error;
      }
    },
  });
  registerDeployRoutes(app, deps);
  registerInstanceRoutes(app, deps);
  registerSettingsRoutes(app, deps);
  registerSettingsCheckRoutes(app, deps);
  registerQuickDeployRoutes(app, deps);
  return app;
}
