import { OpenAPIHono } from "@hono/zod-openapi";
import type { AuthEnv } from "../auth/principal.js";
import { validationHook } from "../http/errors.js";
import { documentPlainRoutes } from "./documented-routes.js";
import { registerProjectRoutes } from "./projects.js";
import { registerRegistryRoutes } from "./registries.js";
import { registerRegistryCheckRoutes } from "./registry-checks.js";
import { registerStageRoutes } from "./stages.js";
import type { ResourceDeps } from "./types.js";

export type { ResourceDeps } from "./types.js";

/**
 * Builds the REST resources (registries, projects, stages) for mounting at `/api/v1`, with
 * `GET /openapi.json` generated from the schemas the handlers validate with.
 */
export function resourceRoutes(deps: ResourceDeps): OpenAPIHono<AuthEnv> {
  const app = new OpenAPIHono<AuthEnv>({
    // Validation failures become a 422 naming each field and the value received, which the
    // app's error handler sends.
    defaultHook: validationHook,
  });

  registerRegistryRoutes(app, deps);
  registerRegistryCheckRoutes(app, deps);
  registerProjectRoutes(app, deps);
  registerStageRoutes(app, deps);

  documentPlainRoutes(app.openAPIRegistry);
  app.openAPIRegistry.registerComponent("securitySchemes", "token", {
    type: "http",
    scheme: "bearer",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "berth_session",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Berth API", version: deps.version ?? "0.0.0" },
    servers: [{ url: "/api/v1" }],
    security: [{ token: [] }, { session: [] }],
  });
  return app;
}
