import {
  type ApiTokenSummary,
  createApiToken,
  getApiToken,
  getProject,
  listApiTokens,
  revokeApiToken,
  TOKEN_SCOPES,
} from "@berth/store";
import { Hono } from "hono";
import { z } from "zod";
import { readJsonBody } from "../http/body.js";
import { ApiError } from "../http/errors.js";
import { requireReference } from "../resources/references.js";
import { audit } from "./audit.js";
import { randomToken, sha256Hex } from "./crypto.js";
import { requireAuth } from "./middleware.js";
import { type AuthEnv, hasAccess, maxScopeFor, type Principal, scopeLevel } from "./principal.js";
import type { AuthRoutesDeps } from "./types.js";
import { parseId } from "./users.js";

/** Every token starts with this, so secret scanners and people can recognise one. */
export const TOKEN_PREFIX = "berth_";
/** Characters of the token kept for display: the fixed prefix plus six random ones. */
const DISPLAY_PREFIX_LENGTH = TOKEN_PREFIX.length + 6;

export const createTokenSchema = z.object({
  name: z.string().trim().min(1).max(100),
  scope: z.enum(TOKEN_SCOPES),
  /** Days until the token expires; without it the token lasts until revoked. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  /** Limits the token to this project's rows; without it (or with null) it reaches every project. */
  projectId: z
    .uuid({
      error: (issue) =>
        `expected a project id (a UUID from GET /projects), got ${JSON.stringify(issue.input)}`,
    })
    .nullable()
    .optional(),
});

function canManage(principal: Principal, token: ApiTokenSummary): boolean {
  return token.userId === principal.userId || hasAccess(principal, "admin");
}

/**
 * Routes under `/api/v1/tokens`: list the caller's tokens (admins: `?all=true` for everyone's),
 * create one (the token is in this response only), revoke one. A token limited to a project
 * cannot call them, since the owner's other tokens reach beyond that project.
 */
export function tokenRoutes(deps: AuthRoutesDeps): Hono<AuthEnv> {
  const now = deps.now ?? (() => new Date());
  const app = new Hono<AuthEnv>();
  app.use(requireAuth(deps, "viewer"));
  // A read token stays read-only: it could otherwise revoke its owner's tokens, or mint
  // tokens that outlive its own revocation when it leaks.
  app.use(async (c, next) => {
    const principal = c.get("principal");
    if (c.req.method !== "GET" && principal.type === "token" && principal.scope === "read") {
      throw new ApiError(
        "forbidden",
        `token ${principal.tokenName} has read scope and cannot create or revoke tokens: sign in, or use a deploy or admin token`,
      );
    }
    await next();
  });

  app.get("/", async (c) => {
    const principal = c.get("principal");
    const all = c.req.query("all") === "true" && hasAccess(principal, "admin");
    return c.json({ tokens: await listApiTokens(deps.db, all ? undefined : principal.userId) });
  });

  app.post("/", async (c) => {
    const principal = c.get("principal");
    const body = await readJsonBody(c, createTokenSchema);
    const allowed = maxScopeFor(principal);
    if (scopeLevel(body.scope) > scopeLevel(allowed)) {
      throw new ApiError(
        "forbidden",
        `scope ${body.scope} is more than you hold: request ${allowed} or lower`,
      );
    }

    const projectId = body.projectId ?? null;
    if (projectId !== null) {
      await requireReference("projectId", projectId, () => getProject(deps.db, projectId));
    }

    const token = `${TOKEN_PREFIX}${randomToken()}`;
    const expiresAt = body.expiresInDays
      ? new Date(now().getTime() + body.expiresInDays * 86_400_000)
      : null;
    const created = await deps.db.transaction(async (tx) => {
      const row = await createApiToken(tx, {
        name: body.name,
        tokenHash: sha256Hex(token),
        prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
        scope: body.scope,
        userId: principal.userId,
        projectId,
        expiresAt,
      });
      await audit(
        tx,
        principal,
        "token.create",
        { type: "api_token", id: row.id },
        { name: row.name, scope: row.scope, projectId: row.projectId },
      );
      return row;
    });
    return c.json({ token: created, secret: token }, 201);
  });

  app.delete("/:id", async (c) => {
    const principal = c.get("principal");
    const id = parseId("api token", c.req.param("id"));
    const token = await getApiToken(deps.db, id);
    if (!canManage(principal, token)) {
      // Someone else's token is reported as missing, so ids of other users' tokens stay unconfirmed.
      throw new ApiError("not_found", `api token ${id} not found`);
    }
    const revoked = await deps.db.transaction(async (tx) => {
      const row = await revokeApiToken(tx, id, now());
      await audit(tx, principal, "token.revoke", { type: "api_token", id }, { name: row.name });
      return row;
    });
    return c.json({ token: revoked });
  });

  return app;
}
