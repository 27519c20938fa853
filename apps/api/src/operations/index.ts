import { OpenAPIHono } from "@hono/zod-openapi";
import type { AuthEnv } from "../auth/principal.js";
import { validationHook } from "../http/errors.js";
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
    // Validation failures become a 422 naming each field and the value received, which the
    // app's error handler sends.
    defaultHook: validationHook,
  });
  registerDeployRoutes(app, deps);
  registerInstanceRoutes(app, deps);
  registerSettingsRoutes(app, deps);
  registerSettingsCheckRoutes(app, deps);
  registerQuickDeployRoutes(app, deps);
  return app;
}
