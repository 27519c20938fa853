import {
  createRegistry,
  isRegistryError,
  type Registry,
  type RegistryError,
} from "@berth/registry";
import { getProject, getRegistry, getRegistryCredentials } from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv, Principal } from "../auth/principal.js";
import { assertReach, projectLimitOf } from "../auth/project-limit.js";
import { ApiError } from "../http/errors.js";
import { AUTH_ERRORS, jsonResponse, NOT_FOUND } from "./openapi.js";
import { ErrorSchema, IdParams } from "./schemas.js";
import type { ResourceDeps } from "./types.js";

const tags = ["registries"];

/** The default of `BERTH_REGISTRY_TIMEOUT_SECONDS`, for apps built without a configuration. */
const DEFAULT_REGISTRY_TIMEOUT_SECONDS = 30;

const TagsQuery = z.object({
  repository: z
    .string({ error: "repository is required, e.g. ?repository=acme/app" })
    .regex(/^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/, {
      error: "expected a repository path in lower case, e.g. acme/app",
    })
    .openapi({ param: { name: "repository", in: "query" }, example: "acme/app" }),
});

const TagSchema = z
  .object({ name: z.string(), createdAt: z.string().nullable() })
  .openapi("RegistryTag");

const CheckSchema = z
  .object({ ok: z.boolean(), message: z.string() })
  .openapi("ConnectionCheck", { description: "The result of a check; a failed check is a 200." });

/**
 * Adds the routes that talk to a configured registry: list a repository's tags, test access.
 * A token limited to a project may list the tags of that project's repository only.
 */
export function registerRegistryCheckRoutes(app: OpenAPIHono<AuthEnv>, deps: ResourceDeps): void {
  const read = requireAuth(deps, "viewer", "project");
  const check = requireAuth(deps, "operator");

  const listTags = createRoute({
    method: "get",
    path: "/registries/{id}/tags",
    tags,
    description:
      "The repository's tags as the registry lists them, with creation times where known.",
    middleware: [read] as const,
    request: { params: IdParams, query: TagsQuery },
    responses: {
      200: jsonResponse(z.object({ repository: z.string(), tags: z.array(TagSchema) }), "The tags"),
      ...AUTH_ERRORS,
      404: jsonResponse(
        ErrorSchema,
        "No registry has this id, or the registry has no such repository",
      ),
      422: jsonResponse(ErrorSchema, "The repository is missing or malformed"),
      502: jsonResponse(
        ErrorSchema,
        "The registry rejected the request or failed, and the message gives its reason",
      ),
    },
  });
  app.openapi(listTags, async (c) => {
    const { repository } = c.req.valid("query");
    const registryId = c.req.valid("param").id;
    await requireOwnRepository(deps, c.get("principal"), registryId, repository);
    const listed = await withClient(deps, registryId, async (client, name) =>
      client.listTags(repository).catch((error: unknown) => {
        throw registryApiError(deps, `cannot list the tags of ${repository} on ${name}`, error);
      }),
    );
    const tagList = listed.map((tag) => ({
      name: tag.name,
      createdAt: tag.createdAt?.toISOString() ?? null,
    }));
    return c.json({ repository, tags: tagList }, 200);
  });

  const testAccess = createRoute({
    method: "post",
    path: "/registries/{id}/test",
    tags,
    description: "Checks that the registry responds and accepts the stored credentials.",
    middleware: [check] as const,
    request: { params: IdParams },
    responses: {
      200: jsonResponse(CheckSchema, "The check's result, failed or not"),
      ...AUTH_ERRORS,
      ...NOT_FOUND,
    },
  });
  app.openapi(testAccess, async (c) => {
    const id = c.req.valid("param").id;
    const result = await withClient(deps, id, async (client) => client.checkAccess());
    const answer = result.ok
      ? { ok: true, message: result.detail }
      : { ok: false, message: registryErrorMessage(deps, result.error) };
    await audit(
      deps.db,
      c.get("principal"),
      "registry.test",
      { type: "registry", id },
      {
        ok: answer.ok,
      },
    );
    return c.json(answer, 200);
  });
}

/**
 * Raises 403 when a limited token requests a repository other than its project's: registries
 * are shared by every project, so any other listing reaches beyond the project.
 */
async function requireOwnRepository(
  deps: ResourceDeps,
  principal: Principal,
  registryId: string,
  repository: string,
): Promise<void> {
  const limit = projectLimitOf(principal);
  if (!limit) {
    return;
  }
  const project = await getProject(deps.db, limit.id);
  if (project.registryId !== registryId || project.repository !== repository) {
    assertReach(principal, "global", {
      method: "GET",
      path: `/api/v1/registries/${registryId}/tags?repository=${repository}`,
      level: "viewer",
    });
  }
}

/** Builds a client from the registry row and its decrypted token, and closes it afterwards. */
async function withClient<T>(
  deps: ResourceDeps,
  id: string,
  use: (client: Registry, name: string) => Promise<T>,
): Promise<T> {
  const row = await getRegistry(deps.db, id);
  const credentials = await getRegistryCredentials(deps.db, deps.secrets, row.id);
  const client = createRegistry({
    type: row.type,
    url: row.url,
    name: row.name,
    username: credentials.username ?? undefined,
    token: credentials.token ?? undefined,
    timeoutMs: registryTimeoutSeconds(deps) * 1000,
  });
  try {
    return await use(client, row.name);
  } finally {
    await client.close();
  }
}

/**
 * Converts a registry failure into a 404 for a missing repository and a 502 otherwise. The
 * registry's message contains no credential, so it is passed on.
 */
function registryApiError(deps: ResourceDeps, context: string, error: unknown): ApiError {
  if (!isRegistryError(error)) {
    return new ApiError("internal", "internal error: the server log has the details", {
      cause: error,
    });
  }
  const code = error.kind === "not_found" ? "not_found" : "bad_gateway";
  return new ApiError(code, `${context}: ${registryErrorMessage(deps, error)}`, {
    details: { registryError: error.kind, status: error.status ?? null },
    cause: error,
  });
}

/**
 * Returns the registry's message. A timeout message also names the setting behind the limit,
 * because the registry package receives the limit but not where it came from.
 */
function registryErrorMessage(deps: ResourceDeps, error: RegistryError): string {
  if (error.kind !== "timeout") {
    return error.message;
  }
  return `${error.message} with BERTH_REGISTRY_TIMEOUT_SECONDS (now ${registryTimeoutSeconds(deps)})`;
}

function registryTimeoutSeconds(deps: ResourceDeps): number {
  return deps.registryTimeoutSeconds ?? DEFAULT_REGISTRY_TIMEOUT_SECONDS;
}
