import {
  createProject,
  deleteProject,
  getProject,
  getRegistry,
  listProjects,
  updateProject,
} from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { toJson, withoutUndefined } from "./json.js";
import { AUTH_ERRORS, jsonBody, jsonResponse, NOT_FOUND, WRITE_ERRORS } from "./openapi.js";
import { requireReference } from "./references.js";
import { IdParams, ProjectCreateSchema, ProjectPatchSchema, ProjectSchema } from "./schemas.js";
import type { ResourceDeps } from "./types.js";

const tags = ["projects"];
const ProjectResponse = z.object({ project: ProjectSchema });

/** Adds `/projects` CRUD: anyone signed in reads, operators write. */
export function registerProjectRoutes(app: OpenAPIHono<AuthEnv>, deps: ResourceDeps): void {
  const read = requireAuth(deps, "viewer");
  const write = requireAuth(deps, "operator");

  const list = createRoute({
    method: "get",
    path: "/projects",
    tags,
    middleware: [read] as const,
    responses: {
      200: jsonResponse(z.object({ projects: z.array(ProjectSchema) }), "All projects"),
      ...AUTH_ERRORS,
    },
  });
  app.openapi(list, async (c) => c.json({ projects: toJson(await listProjects(deps.db)) }, 200));

  const get = createRoute({
    method: "get",
    path: "/projects/{id}",
    tags,
    middleware: [read] as const,
    request: { params: IdParams },
    responses: { 200: jsonResponse(ProjectResponse, "The project"), ...AUTH_ERRORS, ...NOT_FOUND },
  });
  app.openapi(get, async (c) =>
    c.json({ project: toJson(await getProject(deps.db, c.req.valid("param").id)) }, 200),
  );

  const create = createRoute({
    method: "post",
    path: "/projects",
    tags,
    middleware: [write] as const,
    request: { body: jsonBody(ProjectCreateSchema) },
    responses: { 201: jsonResponse(ProjectResponse, "The new project"), ...WRITE_ERRORS },
  });
  app.openapi(create, async (c) => {
    const input = withoutUndefined(c.req.valid("json"));
    await requireReference("registryId", input.registryId, () =>
      getRegistry(deps.db, input.registryId),
    );
    const project = await deps.db.transaction(async (tx) => {
      const created = await createProject(tx, input);
      await audit(
        tx,
        c.get("principal"),
        "project.create",
        { type: "project", id: created.id },
        { slug: created.slug },
      );
      return created;
    });
    return c.json({ project: toJson(project) }, 201);
  });

  const update = createRoute({
    method: "patch",
    path: "/projects/{id}",
    tags,
    middleware: [write] as const,
    request: { params: IdParams, body: jsonBody(ProjectPatchSchema) },
    responses: {
      200: jsonResponse(ProjectResponse, "The changed project"),
      ...WRITE_ERRORS,
      ...NOT_FOUND,
    },
  });
  app.openapi(update, async (c) => {
    const patch = withoutUndefined(c.req.valid("json"));
    const registryId = patch.registryId;
    if (registryId !== undefined) {
      await requireReference("registryId", registryId, () => getRegistry(deps.db, registryId));
    }
    const project = await deps.db.transaction(async (tx) => {
      const updated = await updateProject(tx, c.req.valid("param").id, patch);
      await audit(
        tx,
        c.get("principal"),
        "project.update",
        { type: "project", id: updated.id },
        { fields: Object.keys(patch) },
      );
      return updated;
    });
    return c.json({ project: toJson(project) }, 200);
  });

  const remove = createRoute({
    method: "delete",
    path: "/projects/{id}",
    tags,
    description: "Deletes the project with its stages, deploys and instance records.",
    middleware: [write] as const,
    request: { params: IdParams },
    responses: { 204: { description: "Deleted" }, ...AUTH_ERRORS, ...NOT_FOUND },
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await deps.db.transaction(async (tx) => {
      await deleteProject(tx, id);
      await audit(tx, c.get("principal"), "project.delete", { type: "project", id });
    });
    return c.body(null, 204);
  });
}
