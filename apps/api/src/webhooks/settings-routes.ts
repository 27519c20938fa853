import {
  getWebhookSecretsEncrypted,
  listDeliveries,
  setWebhookSecretEncrypted,
  WEBHOOK_RESULTS,
  WEBHOOK_SOURCES,
  type WebhookSource,
} from "@berth/store";
import { Hono } from "hono";
import { z } from "zod";
import { audit } from "../auth/audit.js";
import { randomToken } from "../auth/crypto.js";
import { type RequireAuthDeps, requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { ApiError } from "../http/errors.js";

export interface WebhookSettingsDeps extends RequireAuthDeps {
  /** Encrypts a secret for `settings.webhook_secrets_encrypted`. */
  encryptSecret: (plain: string) => string;
  /** Path the webhook routes are mounted at. Default `/api/v1/hooks`. */
  hooksPath?: string | undefined;
}

/** Sources that sign the body with the secret; the others carry it in the URL. */
const SIGNED_SOURCES: ReadonlySet<WebhookSource> = new Set(["gitea", "forgejo", "github"]);

export const deliveriesQuery = z.object({
  result: z.enum(WEBHOOK_RESULTS).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.date().optional(),
});

/** Returns the URL path a sender posts to, with a placeholder where a URL secret goes. */
function endpointPath(hooksPath: string, source: WebhookSource): string {
  return SIGNED_SOURCES.has(source) ? `${hooksPath}/${source}` : `${hooksPath}/${source}/<secret>`;
}

function parseSource(value: string): WebhookSource {
  const parsed = z.enum(WEBHOOK_SOURCES).safeParse(value);
  if (!parsed.success) {
    throw new ApiError(
      "not_found",
      `webhook source ${value} not found: use one of ${WEBHOOK_SOURCES.join(", ")}`,
    );
  }
  return parsed.data;
}

/**
 * Builds the routes under `/api/v1/webhooks`:
 * - `GET /` lists the endpoints and whether each has a secret.
 * - `POST /:source/secret` generates a new secret, for admins only, shown in this response only.
 * - `GET /deliveries` lists received deliveries, including pushes no stage tracks (`unmatched`).
 */
export function webhookSettingsRoutes(deps: WebhookSettingsDeps): Hono<AuthEnv> {
  const hooksPath = deps.hooksPath ?? "/api/v1/hooks";
  const app = new Hono<AuthEnv>();

  app.get("/", requireAuth(deps, "viewer"), async (c) => {
    const secrets = await getWebhookSecretsEncrypted(deps.db);
    const endpoints = WEBHOOK_SOURCES.map((source) => ({
      source,
      path: endpointPath(hooksPath, source),
      signed: SIGNED_SOURCES.has(source),
      secretSet: Boolean(secrets[source]),
    }));
    return c.json({ endpoints });
  });

  app.post("/:source/secret", requireAuth(deps, "admin"), async (c) => {
    const source = parseSource(c.req.param("source"));
    const secret = randomToken(24);
    await deps.db.transaction(async (tx) => {
      await setWebhookSecretEncrypted(tx, source, deps.encryptSecret(secret));
      await audit(tx, c.get("principal"), "webhook_secret.regenerate", {
        type: "webhook_source",
        id: source,
      });
    });
    const path = SIGNED_SOURCES.has(source)
      ? `${hooksPath}/${source}`
      : `${hooksPath}/${source}/${secret}`;
    return c.json({ source, secret, path }, 201);
  });

  app.get("/deliveries", requireAuth(deps, "viewer"), async (c) => {
    const query = deliveriesQuery.parse(c.req.query());
    return c.json({ deliveries: await listDeliveries(deps.db, query) });
  });

  return app;
}
