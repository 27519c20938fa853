import type { DockerClient } from "@berth/deployer";
import type { PollerCounters, RegistryRateLimit } from "@berth/poller";
import type { DatabaseHandle, Secrets } from "@berth/store";
import { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { except } from "hono/combine";
import type { Logger } from "pino";
import { auditRoutes } from "./auth/audit-routes.js";
import { authRoutes } from "./auth/login.js";
import type { AuthEnv } from "./auth/principal.js";
import { tokenRoutes } from "./auth/tokens.js";
import { userRoutes } from "./auth/users.js";
import { createEventHub, type EventHub } from "./events/hub.js";
import { documentEventRoutes, eventRoutes } from "./events/routes.js";
import { bodyLimit } from "./http/body.js";
import { errorHandler, notFoundHandler } from "./http/errors.js";
import { securityHeaders } from "./http/security.js";
import { metricsRoutes } from "./metrics/routes.js";
import { operationRoutes } from "./operations/index.js";
import { resourceRoutes } from "./resources/index.js";
import { healthRoutes } from "./routes/health.js";
import { dashboard } from "./service/dashboard.js";
import { webhookRoutes } from "./webhooks/routes.js";
import { webhookSettingsRoutes } from "./webhooks/settings-routes.js";
import type { PushNotice, PushOutcome } from "./webhooks/types.js";

/** Dependencies the HTTP app takes from the process that runs it. */
export interface AppDeps {
  database: DatabaseHandle;
  secrets: Secrets;
  logger: Logger;
  version: string;
  /** Checks the stages a webhook push names. Without it, pushes are recorded and not checked. */
  onPush?: ((push: PushNotice) => Promise<PushOutcome | undefined>) | undefined;
  /** The shared reader of changes behind `/events`. One is made when not given. */
  hub?: EventHub | undefined;
  docker?: (() => DockerClient | undefined) | undefined;
  /** Wakes the deploy worker after a deploy was queued. */
  wake?: (() => void) | undefined;
  pollerCounters?: (() => PollerCounters) | undefined;
  registryRateLimits?: (() => RegistryRateLimit[]) | undefined;
  metricsToken?: string | undefined;
  /** Time limit of one request to a registry, from `BERTH_REGISTRY_TIMEOUT_SECONDS`. */
  registryTimeoutSeconds?: number | undefined;
  /** The dashboard's build folder. Without an `index.html` there, `/` explains how to build it. */
  webDir?: string | undefined;
}

/** Builds the HTTP app; routes live under `/api/v1`. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandler({ logger: deps.logger }));
  app.notFound(notFoundHandler);

  app.use(securityHeaders());
  // The webhook routes set their own, smaller limit. A larger limit in front of theirs would
  // buffer a chunked webhook body up to 1 MiB before the webhook limit saw a byte.
  app.use("/api/*", except("/api/v1/hooks/*", bodyLimit()));

  app.route("/api/v1", healthRoutes(deps));
  app.route("/api/v1", apiRoutes(deps));
  app.route("/", metricsRoutes({ ...deps, db: deps.database.db, token: deps.metricsToken }));
  app.route("/", dashboard(deps.webDir));
  return app;
}

/** Builds every `/api/v1` route, with one OpenAPI document covering all of them. */
function apiRoutes(deps: AppDeps): OpenAPIHono<AuthEnv> {
  const db = deps.database.db;
  const auth = { db, logger: deps.logger };
  const api = new OpenAPIHono<AuthEnv>();
  // Registered before the resources' own document, so this one, which lists every route, wins.
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Berth API", version: deps.version },
    servers: [{ url: "/api/v1" }],
    security: [{ token: [] }, { session: [] }],
  });

  api.route("/auth", authRoutes(auth));
  api.route("/users", userRoutes(auth));
  api.route("/tokens", tokenRoutes(auth));
  api.route("/audit", auditRoutes(auth));
  api.route(
    "/webhooks",
    webhookSettingsRoutes({ db, encryptSecret: (plain) => deps.secrets.encrypt(plain) }),
  );
  api.route(
    "/hooks",
    webhookRoutes({
      db,
      logger: deps.logger,
      decryptSecret: (ciphertext) => deps.secrets.decrypt(ciphertext),
      onPush: deps.onPush ?? (async () => undefined),
    }),
  );
  api.route(
    "/",
    resourceRoutes({
      db,
      secrets: deps.secrets,
      version: deps.version,
      registryTimeoutSeconds: deps.registryTimeoutSeconds,
    }),
  );
  api.route(
    "/",
    operationRoutes({
      db,
      secrets: deps.secrets,
      docker: deps.docker ?? (() => undefined),
      wake: deps.wake,
    }),
  );
  api.route("/", eventRoutes({ db, hub: deps.hub ?? createEventHub({ db, logger: deps.logger }) }));
  documentEventRoutes(api.openAPIRegistry);
  return api;
}
