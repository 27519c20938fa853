import {
  createRegistry,
  deleteRegistry,
  getRegistry,
  listRegistries,
  updateRegistry,
} from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { toJson, withoutUndefined } from "./json.js";
import { AUTH_ERRORS, jsonBody, jsonResponse, NOT_FOUND, WRITE_ERRORS } from "./openapi.js";
import { deleteOrExplain } from "./references.js";
import { IdParams, RegistryCreateSchema, RegistryPatchSchema, RegistrySchema } from "./schemas.js";
import type { ResourceDeps } from "./types.js";

const tags = ["registries"];
const RegistryResponse = z.object({ registry: RegistrySchema });

/** Adds `/registries` CRUD: anyone signed in reads, admins write (registries hold credentials). */
export function registerRegistryRoutes(app: OpenAPIHono<AuthEnv>, deps: ResourceDeps): void {
  const read = requireAuth(deps, "viewer");
  const write = requireAuth(deps, "admin");

  const list = createRoute({
    method: "get",
    path: "/registries",
    tags,
    middleware: [read] as const,
    responses: {
      200: jsonResponse(z.object({ registries: z.array(RegistrySchema) }), "All registries"),
      ...AUTH_ERRORS,
    },
  });
  app.openapi(list, async (c) =>
    c.json({ registries: toJson(await listRegistries(deps.db)) }, 200),
  );

  const get = createRoute({
    method: "get",
    path: "/registries/{id}",
    tags,
    middleware: [read] as const,
    request: { params: IdParams },
    responses: {
      200: jsonResponse(RegistryResponse, "The registry"),
      ...AUTH_ERRORS,
      ...NOT_FOUND,
    },
  });
  app.openapi(get, async (c) =>
    c.json({ registry: toJson(await getRegistry(deps.db, c.req.valid("param").id)) }, 200),
  );

  const create = createRoute({
    method: "post",
    path: "/registries",
    tags,
    middleware: [write] as const,
    request: { body: jsonBody(RegistryCreateSchema) },
    responses: { 201: jsonResponse(RegistryResponse, "The new registry"), ...WRITE_ERRORS },
  });
  app.openapi(create, async (c) => {
    const registry = await deps.db.transaction(async (tx) => {
      const created = await createRegistry(tx, deps.secrets, withoutUndefined(c.req.valid("json")));
      await audit(
        tx,
        c.get("principal"),
        "registry.create",
        { type: "registry", id: created.id },
        { name: created.name },
      );
      return created;
    });
    return c.json({ registry: toJson(registry) }, 201);
  });

  const update = createRoute({
    method: "patch",
    path: "/registries/{id}",
    tags,
    middleware: [write] as const,
    request: { params: IdParams, body: jsonBody(RegistryPatchSchema) },
    responses: {
      200: jsonResponse(RegistryResponse, "The changed registry"),
      ...WRITE_ERRORS,
      ...NOT_FOUND,
    },
  });
  app.openapi(update, async (c) => {
    const patch = withoutUndefined(c.req.valid("json"));
    const registry = await deps.db.transaction(async (tx) => {
      const updated = await updateRegistry(tx, deps.secrets, c.req.valid("param").id, patch);
      // Only the names of changed fields: the token value must not reach the audit log.
      await audit(
        tx,
        c.get("principal"),
        "registry.update",
        { type: "registry", id: updated.id },
        { fields: Object.keys(patch) },
      );
      return updated;
    });
    return c.json({ registry: toJson(registry) }, 200);
  });

  const remove = createRoute({
    method: "delete",
    path: "/registries/{id}",
    tags,
    middleware: [write] as const,
    request: { params: IdParams },
    responses: { 204: { description: "Deleted" }, ...WRITE_ERRORS, ...NOT_FOUND },
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await deps.db.transaction(async (tx) => {
      await deleteOrExplain(`registry ${id}`, () => deleteRegistry(tx, id), "projects");
      await audit(tx, c.get("principal"), "registry.delete", { type: "registry", id });
    });
    return c.body(null, 204);
  });
}
