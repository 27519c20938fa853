import {
  createStage,
  deleteStage,
  getProject,
  getStage,
  listStages,
  updateStage,
} from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv, Principal } from "../auth/principal.js";
import { inProject, listProjectId, requireInProject } from "../auth/project-limit.js";
import { toJson, withoutUndefined } from "./json.js";
import { requireAdminForNotificationUrl } from "./notification-url.js";
import { AUTH_ERRORS, jsonBody, jsonResponse, NOT_FOUND, WRITE_ERRORS } from "./openapi.js";
import { requireReference } from "./references.js";
import {
  IdParams,
  StageCreateSchema,
  StageListQuery,
  StagePatchSchema,
  StageSchema,
} from "./schemas.js";
import { checkStageFields } from "./stage-checks.js";
import { stageWithPoll, withPollStatus } from "./stage-poll.js";
import type { ResourceDeps } from "./types.js";

const tags = ["stages"];
const StageResponse = z.object({ stage: StageSchema });

/**
 * Adds `/stages` CRUD: anyone signed in reads, operators write. Secret variables are write-only.
 * A token limited to a project reads and changes the stages of that project only.
 */
export function registerStageRoutes(app: OpenAPIHono<AuthEnv>, deps: ResourceDeps): void {
  const read = requireAuth(deps, "viewer", "project");
  const write = requireAuth(deps, "operator", "project");
  const owned = inProject(deps, "stage");

  const list = createRoute({
    method: "get",
    path: "/stages",
    tags,
    middleware: [read] as const,
    request: { query: StageListQuery },
    responses: {
      200: jsonResponse(
        z.object({ stages: z.array(StageSchema) }),
        "Stages, of one project with ?projectId=",
      ),
      ...AUTH_ERRORS,
    },
  });
  app.openapi(list, async (c) => {
    const projectId = listProjectId(c.get("principal"), c.req.valid("query").projectId);
    const stages = projectId === null ? [] : await listStages(deps.db, projectId);
    return c.json({ stages: toJson(await withPollStatus(deps.db, stages)) }, 200);
  });

  const get = createRoute({
    method: "get",
    path: "/stages/{id}",
    tags,
    middleware: [read, owned] as const,
    request: { params: IdParams },
    responses: { 200: jsonResponse(StageResponse, "The stage"), ...AUTH_ERRORS, ...NOT_FOUND },
  });
  app.openapi(get, async (c) => {
    const stage = await getStage(deps.db, c.req.valid("param").id);
    return c.json({ stage: toJson(await stageWithPoll(deps.db, stage)) }, 200);
  });

  const create = createRoute({
    method: "post",
    path: "/stages",
    tags,
    middleware: [write] as const,
    request: { body: jsonBody(StageCreateSchema) },
    responses: { 201: jsonResponse(StageResponse, "The new stage"), ...WRITE_ERRORS },
  });
  app.openapi(create, async (c) => {
    const input = withoutUndefined(c.req.valid("json"));
    const principal = c.get("principal");
    await requireReference("projectId", input.projectId, async () => {
      await requireInProject(deps.db, principal, "project", input.projectId);
      return getProject(deps.db, input.projectId);
    });
    await requirePromoteSource(deps, principal, input.promoteFromStageId);
    await requireAdminForNotificationUrl(
      principal,
      input.notificationUrl,
      async () => null,
      `stage ${input.name}`,
    );
    await checkStageFields(deps.db, input);
    const stage = await createStage(deps.db, deps.secrets, input);
    await audit(
      deps.db,
      c.get("principal"),
      "stage.create",
      { type: "stage", id: stage.id },
      { name: stage.name },
    );
    return c.json({ stage: toJson({ ...stage, poll: null }) }, 201);
  });

  const update = createRoute({
    method: "patch",
    path: "/stages/{id}",
    tags,
    middleware: [write, owned] as const,
    request: { params: IdParams, body: jsonBody(StagePatchSchema) },
    responses: {
      200: jsonResponse(StageResponse, "The changed stage"),
      ...WRITE_ERRORS,
      ...NOT_FOUND,
    },
  });
  app.openapi(update, async (c) => {
    const patch = withoutUndefined(c.req.valid("json"));
    await requirePromoteSource(deps, c.get("principal"), patch.promoteFromStageId);
    const id = c.req.valid("param").id;
    await requireAdminForNotificationUrl(
      c.get("principal"),
      patch.notificationUrl,
      async () => (await getStage(deps.db, id)).notificationUrl,
      `stage ${id}`,
    );
    await checkStageFields(deps.db, patch);
    const stage = await updateStage(deps.db, deps.secrets, id, patch);
    await audit(
      deps.db,
      c.get("principal"),
      "stage.update",
      { type: "stage", id: stage.id },
      { fields: Object.keys(patch) },
    );
    return c.json({ stage: toJson(await stageWithPoll(deps.db, stage)) }, 200);
  });

  const remove = createRoute({
    method: "delete",
    path: "/stages/{id}",
    tags,
    middleware: [write, owned] as const,
    request: { params: IdParams },
    responses: { 204: { description: "Deleted" }, ...AUTH_ERRORS, ...NOT_FOUND },
  });
  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await deps.db.transaction(async (tx) => {
      await deleteStage(tx, id);
      await audit(tx, c.get("principal"), "stage.delete", { type: "stage", id });
    });
    return c.body(null, 204);
  });
}

async function requirePromoteSource(
  deps: ResourceDeps,
  principal: Principal,
  stageId: string | null | undefined,
): Promise<void> {
  if (stageId) {
    await requireReference("promoteFromStageId", stageId, async () => {
      await requireInProject(deps.db, principal, "stage", stageId);
      return getStage(deps.db, stageId);
    });
  }
}
