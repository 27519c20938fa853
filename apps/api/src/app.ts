import type { DatabaseHandle, Secrets } from "@berth/store";
import { Hono } from "hono";
import type { Logger } from "pino";
import { errorHandler, notFoundHandler } from "./http/errors.js";
import { healthRoutes } from "./routes/health.js";

/** Dependencies the HTTP app takes from the process that runs it. */
export interface AppDeps {
  database: DatabaseHandle;
  secrets: Secrets;
  logger: Logger;
  version: string;
}

/** Builds the HTTP app; routes live under `/api/v1`. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler({ logger: deps.logger }));
  app.notFound(notFoundHandler);

  app.route("/api/v1", healthRoutes(deps));
  return app;
}
