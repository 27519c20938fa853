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
import type { AuthEnv, Principal } from "../auth/principal.js";
import { assertReach, inProject, projectLimitOf } from "../auth/project-limit.js";
import { toJson, withoutUndefined } from "./json.js";
import { requireAdminForNotificationUrl } from "./notification-url.js";
import { AUTH_ERRORS, jsonBody, jsonResponse, NOT_FOUND, WRITE_ERRORS } from "./openapi.js";
import { requireReference } from "./references.js";
import { IdParams, ProjectCreateSchema, ProjectPatchSchema, ProjectSchema } from "./schemas.js";
import type { ResourceDeps } from "./types.js";

const tags = ["projects"];
const ProjectResponse = z.object({ project: ProjectSchema });

/**
 * Adds `/projects` CRUD: anyone signed in reads, operators write. A token limited to a project
 * reads and changes that project only, and cannot create projects.
 */
export function registerProjectRoutes(app: OpenAPIHono<AuthEnv>, deps: ResourceDeps): void {
  const read = requireAuth(deps, "viewer", "project");
  const write = requireAuth(deps, "operator", "project");
  const owned = inProject(deps, "project");

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
  app.openapi(list, async (c) => {
    const limit = projectLimitOf(c.get("principal"));
    const all = await listProjects(deps.db);
    const visible = limit ? all.filter((project) => project.id === limit.id) : all;
    return c.json({ projects: toJson(visible) }, 200);
  });

  const get = createRoute({
    method: "get",
    path: "/projects/{id}",
    tags,
    middleware: [read, owned] as const,
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
    middleware: [requireAuth(deps, "operator")] as const,
    request: { body: jsonBody(ProjectCreateSchema) },
    responses: { 201: jsonResponse(ProjectResponse, "The new project"), ...WRITE_ERRORS },
  });
  app.openapi(create, async (c) => {
    const input = withoutUndefined(c.req.valid("json"));
    await requireAdminForNotificationUrl(
      c.get("principal"),
      input.notificationUrl,
      async () => null,
      `project ${input.slug}`,
    );
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
    middleware: [write, owned] as const,
    request: { params: IdParams, body: jsonBody(ProjectPatchSchema) },
    responses: {
      200: jsonResponse(ProjectResponse, "The changed project"),
      ...WRITE_ERRORS,
      ...NOT_FOUND,
    },
  });
  app.openapi(update, async (c) => {
    const patch = withoutUndefined(c.req.valid("json"));
    const id = c.req.valid("param").id;
    await requireAdminForNotificationUrl(
      c.get("principal"),
      patch.notificationUrl,
      async () => (await getProject(deps.db, id)).notificationUrl,
      `project ${id}`,
    );
    const registryId = patch.registryId;
    if (registryId !== undefined) {
      await requireRegistryChange(c.get("principal"), deps, id, registryId);
      await requireReference("registryId", registryId, () => getRegistry(deps.db, registryId));
    }
    const project = await deps.db.transaction(async (tx) => {
      const updated = await updateProject(tx, id, patch);
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
    description:
      "Deletes the project with its stages, deploys, instance records and the API tokens limited to it.",
    middleware: [write, owned] as const,
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

/**
 * Raises 403 when a limited token moves its project to another registry: registries hold
 * credentials that every project may use, so choosing one reaches beyond the project.
 */
async function requireRegistryChange(
  principal: Principal,
  deps: ResourceDeps,
  projectId: string,
  registryId: string,
): Promise<void> {
  if (!projectLimitOf(principal)) {
    return;
  }
  const current = await getProject(deps.db, projectId);
  if (current.registryId !== registryId) {
    assertReach(principal, "global", {
      method: "PATCH",
      path: `/api/v1/projects/${projectId} with a new registryId`,
      level: "operator",
    });
  }
}
