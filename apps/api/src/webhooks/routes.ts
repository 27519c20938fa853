import { getWebhookSecretsEncrypted, WEBHOOK_SOURCES, type WebhookSource } from "@berth/store";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit, isJsonContentType, parseJsonText } from "../http/body.js";
import { ApiError } from "../http/errors.js";
import type { ParsedDelivery } from "./delivery.js";
import { parseDockerHubDelivery } from "./dockerhub.js";
import { WebhookPayloadError } from "./errors.js";
import { parseGenericDelivery } from "./generic.js";
import { parseGiteaDelivery } from "./gitea.js";
import { parseGithubDelivery } from "./github.js";
import { acceptDelivery } from "./intake.js";
import { secretsEqual, verifyHmacSignature } from "./signature.js";
import type { WebhookDeps } from "./types.js";

/** Package webhook bodies are a few kilobytes; 256 KiB leaves room and bounds what is read. */
export const DEFAULT_WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";

/** The dashboard page with the webhook secrets, and the API routes that manage them. */
const SETTINGS_PAGE = "/settings";
const SETTINGS_API_PATH = "/api/v1/webhooks";

/**
 * Routes under `/api/v1/hooks`, without session auth: `POST /gitea`, `/forgejo` and `/github`
 * (HMAC-signed), `POST /dockerhub/:secret` and `/generic/:secret` (secret in the URL; `?secret=`
 * works too). Every secret is checked before the body is parsed, and a rejected request
 * stores nothing.
 */
export function webhookRoutes(deps: WebhookDeps): Hono {
  const app = new Hono();
  app.use(logRejections(deps));
  app.use(bodyLimit(deps.maxBodyBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT_BYTES));

  for (const source of ["gitea", "forgejo"] as const) {
    app.post(`/${source}`, async (c) => {
      const secret = await loadSecret(deps, source);
      const signed = await readSignedBytes(c, source);
      const signature = c.req.header("x-forgejo-signature") ?? c.req.header("x-gitea-signature");
      assertSignature(verifyHmacSignature(secret, signed, signature), source, signature);
      const event = c.req.header("x-forgejo-event") ?? c.req.header("x-gitea-event");
      const parsed = parsePayload(() => parseGiteaDelivery(event, parseBytes(signed)));
      const deliveryId = c.req.header("x-forgejo-delivery") ?? c.req.header("x-gitea-delivery");
      return acceptDelivery(c, deps, source, parsed, deliveryId);
    });
  }

  app.post("/github", async (c) => {
    const secret = await loadSecret(deps, "github");
    const body = await readJsonBytes(c, "github");
    const signature = c.req.header("x-hub-signature-256");
    assertSignature(verifyHmacSignature(secret, body, signature, "sha256="), "github", signature);
    const event = c.req.header("x-github-event");
    const parsed = parsePayload(() => parseGithubDelivery(event, parseBytes(body)));
    return acceptDelivery(c, deps, "github", parsed, c.req.header("x-github-delivery"));
  });

  const urlSecretSources = [
    { source: "dockerhub", parse: parseDockerHubDelivery },
    { source: "generic", parse: parseGenericDelivery },
  ] as const;
  for (const { source, parse } of urlSecretSources) {
    const handler = async (c: Context) => {
      const secret = await loadSecret(deps, source);
      const received = c.req.param("secret") ?? c.req.query("secret");
      if (received === undefined || !secretsEqual(received, secret)) {
        throw new ApiError(
          "unauthorized",
          `${source} webhook URL has ${received === undefined ? "no" : "a wrong"} secret: copy the URL from Berth's webhook settings`,
        );
      }
      const body = await readJsonBytes(c, source);
      const parsed = parsePayload(() => parse(parseBytes(body)));
      return acceptDelivery(c, deps, source, parsed, undefined);
    };
    app.post(`/${source}`, handler);
    app.post(`/${source}/:secret`, handler);
  }

  return app;
}

/**
 * Logs each rejected delivery once, so a sender with a wrong secret or payload shows up in
 * the log, and reports it to `onDelivery`. The request path is left out because URL-secret
 * sources carry the secret in it. Server errors are logged by the app's error handler.
 */
function logRejections(deps: WebhookDeps): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.error === undefined) {
      return;
    }
    const source = c.req.path.split("/").find(isWebhookSource);
    deps.onDelivery?.({ source, outcome: "rejected", status: c.res.status });
    if (c.error instanceof ApiError && c.error.status < 500) {
      deps.logger?.warn(
        { source, status: c.error.status, code: c.error.code, reason: c.error.message },
        "webhook delivery rejected",
      );
    }
  };
}

const SOURCES: ReadonlySet<string> = new Set(WEBHOOK_SOURCES);

function isWebhookSource(value: string): value is WebhookSource {
  return SOURCES.has(value);
}

/**
 * Returns the source's secret, decrypted. A source without one is not set up, so it gives 404,
 * naming the dashboard page and the API route that generate the secret.
 */
async function loadSecret(deps: WebhookDeps, source: WebhookSource): Promise<string> {
  const ciphertext = (await getWebhookSecretsEncrypted(deps.db))[source];
  if (!ciphertext) {
    throw new ApiError(
      "not_found",
      `${source} webhooks are not set up: an admin generates the ${source} secret in the dashboard under Settings, Webhooks (${SETTINGS_PAGE}), or with POST ${SETTINGS_API_PATH}/${source}/secret, then sets it in the sender`,
    );
  }
  return deps.decryptSecret(ciphertext);
}

async function readJsonBytes(c: Context, source: WebhookSource): Promise<Uint8Array> {
  const contentType = c.req.header("content-type");
  if (!isJsonContentType(contentType)) {
    throw unsupportedContentType(source, contentType, "application/json");
  }
  return new Uint8Array(await c.req.arrayBuffer());
}

/**
 * Reads the bytes Gitea and Forgejo sign: the raw body for JSON hooks, or the `payload` field's
 * value for form hooks, because those sign the JSON text before form-encoding it.
 */
async function readSignedBytes(c: Context, source: WebhookSource): Promise<Uint8Array> {
  const contentType = c.req.header("content-type");
  if (isJsonContentType(contentType)) {
    return new Uint8Array(await c.req.arrayBuffer());
  }
  if (contentType?.split(";")[0]?.trim().toLowerCase() === FORM_CONTENT_TYPE) {
    const payload = new URLSearchParams(await c.req.text()).get("payload");
    if (payload === null) {
      throw new ApiError(
        "validation_failed",
        `${source} form delivery has no payload field: set the hook's content type to application/json`,
        { details: { issues: [{ path: "payload", message: "missing" }] } },
      );
    }
    return new TextEncoder().encode(payload);
  }
  throw unsupportedContentType(source, contentType, `application/json or ${FORM_CONTENT_TYPE}`);
}

function unsupportedContentType(
  source: WebhookSource,
  contentType: string | undefined,
  expected: string,
): ApiError {
  return new ApiError(
    "unsupported_media_type",
    `${source} webhook content type ${contentType ?? "(none)"} is not supported: send ${expected}`,
  );
}

function assertSignature(valid: boolean, source: WebhookSource, header: string | undefined): void {
  if (!valid) {
    const problem = header ? "does not match the body" : "is missing";
    throw new ApiError(
      "unauthorized",
      `${source} webhook signature ${problem}: set the same secret in the hook and in Berth`,
    );
  }
}

function parseBytes(bytes: Uint8Array): unknown {
  return parseJsonText(new TextDecoder().decode(bytes));
}

/** Runs a payload parser, turning a payload that cannot be used into a 422. */
function parsePayload(parse: () => ParsedDelivery): ParsedDelivery {
  try {
    return parse();
  } catch (error) {
    if (error instanceof WebhookPayloadError) {
      const details = error.issues ? { issues: error.issues } : undefined;
      throw new ApiError("validation_failed", error.message, { details, cause: error });
    }
    throw error;
  }
}
