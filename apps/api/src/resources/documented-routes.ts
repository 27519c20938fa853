/**
 * OpenAPI entries for the routes built on plain Hono (auth, users, tokens, webhook settings,
 * audit log, incoming webhooks). They are described from the same zod schemas their handlers
 * validate with, so the document covers the whole API.
 */
import { TOKEN_SCOPES, WEBHOOK_SOURCES } from "@berth/store";
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { auditQuery } from "../auth/audit-routes.js";
import { loginSchema, passwordChangeSchema } from "../auth/login.js";
import { createTokenSchema } from "../auth/tokens.js";
import { createUserSchema, updateUserSchema } from "../auth/users.js";
import { deliveriesQuery } from "../webhooks/settings-routes.js";
import { AUTH_ERRORS, jsonBody, jsonResponse, NOT_FOUND, WRITE_ERRORS } from "./openapi.js";
import { IdParams } from "./schemas.js";

const anyJson = (description: string) =>
  jsonResponse(z.record(z.string(), z.unknown()), description);
const SourceParams = z.object({
  source: z.enum(WEBHOOK_SOURCES).openapi({ param: { name: "source", in: "path" } }),
});
const SecretParams = z.object({
  secret: z.string().openapi({ param: { name: "secret", in: "path" } }),
});

const webhookAnswers = {
  200: anyJson("Acknowledged and ignored (not a tag); `reason` says why"),
  202: anyJson("Recorded; `status` is `accepted`, or `duplicate` for a repeat of a recent push"),
  401: jsonResponse(
    z.object({ error: z.unknown() }),
    "Signature or URL secret missing or wrong; nothing stored",
  ),
  404: jsonResponse(
    z.object({ error: z.unknown() }),
    "No secret set up for this source; nothing stored",
  ),
  413: jsonResponse(z.object({ error: z.unknown() }), "Body larger than the webhook limit"),
  415: jsonResponse(z.object({ error: z.unknown() }), "Unsupported content type"),
  422: jsonResponse(
    z.object({ error: z.unknown() }),
    "Payload fields missing or of the wrong type",
  ),
} as const;

/** Registers the plain-Hono routes in the OpenAPI document. */
export function documentPlainRoutes(registry: OpenAPIHono["openAPIRegistry"]): void {
  registry.registerPath({
    method: "post",
    path: "/auth/login",
    tags: ["auth"],
    security: [],
    request: { body: jsonBody(loginSchema) },
    responses: {
      200: anyJson("Logged in; sets the HttpOnly session cookie"),
      401: jsonResponse(z.object({ error: z.unknown() }), "User name or password wrong"),
      429: jsonResponse(
        z.object({ error: z.unknown() }),
        "Too many failed logins; see Retry-After",
      ),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/auth/logout",
    tags: ["auth"],
    responses: { 204: { description: "Logged out" }, ...AUTH_ERRORS },
  });
  registry.registerPath({
    method: "get",
    path: "/auth/me",
    tags: ["auth"],
    responses: { 200: anyJson("The caller"), ...AUTH_ERRORS },
  });

  registry.registerPath({
    method: "get",
    path: "/users",
    tags: ["users"],
    responses: { 200: anyJson("All users (admins)"), ...AUTH_ERRORS },
  });
  registry.registerPath({
    method: "post",
    path: "/users",
    tags: ["users"],
    request: { body: jsonBody(createUserSchema) },
    responses: { 201: anyJson("The new user"), ...WRITE_ERRORS },
  });
  registry.registerPath({
    method: "patch",
    path: "/users/{id}",
    tags: ["users"],
    description: "Disabling a user or setting a password ends the user's sessions.",
    request: { params: IdParams, body: jsonBody(updateUserSchema) },
    responses: { 200: anyJson("The changed user"), ...WRITE_ERRORS, ...NOT_FOUND },
  });
  registry.registerPath({
    method: "post",
    path: "/auth/password",
    tags: ["auth"],
    description: "Changes the caller's own password and ends the caller's other sessions.",
    request: { body: jsonBody(passwordChangeSchema) },
    responses: { 204: { description: "Changed" }, ...WRITE_ERRORS },
  });
  registry.registerPath({
    method: "delete",
    path: "/users/{id}",
    tags: ["users"],
    request: { params: IdParams },
    responses: {
      204: { description: "Deleted with its sessions and tokens" },
      ...WRITE_ERRORS,
      ...NOT_FOUND,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/tokens",
    tags: ["tokens"],
    responses: { 200: anyJson("The caller's tokens; admins add ?all=true"), ...AUTH_ERRORS },
  });
  registry.registerPath({
    method: "post",
    path: "/tokens",
    tags: ["tokens"],
    description: `Scopes: ${TOKEN_SCOPES.join(", ")}. With \`projectId\`, the token reaches that project only. The token is in this response only.`,
    request: { body: jsonBody(createTokenSchema) },
    responses: { 201: anyJson("The token summary and `secret`"), ...WRITE_ERRORS },
  });
  registry.registerPath({
    method: "delete",
    path: "/tokens/{id}",
    tags: ["tokens"],
    request: { params: IdParams },
    responses: { 200: anyJson("The revoked token"), ...AUTH_ERRORS, ...NOT_FOUND },
  });

  registry.registerPath({
    method: "get",
    path: "/webhooks",
    tags: ["webhooks"],
    responses: { 200: anyJson("Endpoints and whether each has a secret"), ...AUTH_ERRORS },
  });
  registry.registerPath({
    method: "post",
    path: "/webhooks/{source}/secret",
    tags: ["webhooks"],
    request: { params: SourceParams },
    responses: { 201: anyJson("The new secret, shown once"), ...AUTH_ERRORS, ...NOT_FOUND },
  });
  registry.registerPath({
    method: "get",
    path: "/webhooks/deliveries",
    tags: ["webhooks"],
    request: { query: deliveriesQuery },
    responses: { 200: anyJson("Received deliveries, newest first"), ...AUTH_ERRORS },
  });
  registry.registerPath({
    method: "get",
    path: "/audit",
    tags: ["audit"],
    request: { query: auditQuery },
    responses: { 200: anyJson("Audit log entries, newest first (admins)"), ...AUTH_ERRORS },
  });

  for (const source of ["gitea", "forgejo", "github"] as const) {
    registry.registerPath({
      method: "post",
      path: `/hooks/${source}`,
      tags: ["incoming webhooks"],
      security: [],
      description: "Signed with HMAC-SHA256 of the raw body under the source's secret.",
      responses: webhookAnswers,
    });
  }
  for (const source of ["dockerhub", "generic"] as const) {
    registry.registerPath({
      method: "post",
      path: `/hooks/${source}/{secret}`,
      tags: ["incoming webhooks"],
      security: [],
      request: { params: SecretParams },
      responses: webhookAnswers,
    });
  }
}
