import {
  approveDeploy,
  deployTag,
  promote,
  redeploy,
  rejectDeploy,
  rollback,
} from "@berth/deployer";
import { type Deploy, getDeploy, listDeployLogs, StoreError, transitionDeploy } from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import { type AuthEnv, describePrincipal, type Principal } from "../auth/principal.js";
import { inProject, listProjectId, requireInProject } from "../auth/project-limit.js";
import { ApiError } from "../http/errors.js";
import { toJson, withoutUndefined } from "../resources/json.js";
import {
  AUTH_ERRORS,
  jsonBody,
  jsonResponse,
  NOT_FOUND,
  WRITE_ERRORS,
} from "../resources/openapi.js";
import { ErrorSchema } from "../resources/schemas.js";
import { runOperation } from "./errors.js";
import { IdParams, requireId } from "./ids.js";
import { listDeploys } from "./queries.js";
import {
  DeployCreateSchema,
  DeployListQuery,
  DeployLogSchema,
  DeployResponse,
  DeploySchema,
  PromoteSchema,
} from "./schemas.js";
import type { OperationsDeps } from "./types.js";

const tags = ["deploys"];
const CONFLICT = {
  409: jsonResponse(ErrorSchema, "The deploy is in a state that does not allow this"),
};

/**
 * Adds `/deploys`: anyone signed in reads, operators deploy, approve, cancel and roll back.
 * A token limited to a project reads and acts on the deploys of that project's stages only.
 */
export function registerDeployRoutes(app: OpenAPIHono<AuthEnv>, deps: OperationsDeps): void {
  const read = requireAuth(deps, "viewer", "project");
  const write = requireAuth(deps, "operator", "project");
  const owned = inProject(deps, "deploy");

  app.openapi(
    createRoute({
      method: "get",
      path: "/deploys",
      tags,
      description:
        "Deploys, newest first, filtered by stage, project, status or trigger, paged by cursor.",
      middleware: [read] as const,
      request: { query: DeployListQuery },
      responses: {
        200: jsonResponse(
          z.object({ deploys: z.array(DeploySchema), nextCursor: z.string().nullable() }),
          "A page of deploys",
        ),
        ...AUTH_ERRORS,
        422: jsonResponse(ErrorSchema, "A filter is invalid"),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const projectId = listProjectId(c.get("principal"), query.projectId);
      const page =
        projectId === null
          ? { deploys: [], nextCursor: null }
          : await listDeploys(deps.db, { ...query, projectId });
      return c.json({ deploys: toJson(page.deploys), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/deploys/{id}",
      tags,
      middleware: [read, owned] as const,
      request: { params: IdParams },
      responses: { 200: jsonResponse(DeployResponse, "The deploy"), ...AUTH_ERRORS, ...NOT_FOUND },
    }),
    async (c) => {
      const deploy = await getDeploy(deps.db, requireId("deploy", c.req.valid("param").id));
      return c.json({ deploy: toJson(deploy) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/deploys/{id}/log",
      tags,
      description: "The deploy's whole log; `/deploys/{id}/logs` streams it as server-sent events.",
      middleware: [read, owned] as const,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(z.object({ entries: z.array(DeployLogSchema) }), "The log"),
        ...AUTH_ERRORS,
        ...NOT_FOUND,
      },
    }),
    async (c) => {
      const id = requireId("deploy", c.req.valid("param").id);
      await getDeploy(deps.db, id);
      return c.json({ entries: toJson(await listDeployLogs(deps.db, id)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/deploys",
      tags,
      description: "Deploys a tag of a stage now (pinned to `digest` when given).",
      middleware: [write] as const,
      request: { body: jsonBody(DeployCreateSchema) },
      responses: { 201: jsonResponse(DeployResponse, "The queued deploy"), ...WRITE_ERRORS },
    }),
    async (c) => {
      const input = withoutUndefined(c.req.valid("json"));
      const principal = c.get("principal");
      await requireStageInProject(deps, principal, input.stageId);
      const deploy = await runOperation(() =>
        deployTag(deps.db, { ...input, requestedBy: describePrincipal(principal) }),
      );
      await recordChange(deps, principal, "deploy.create", deploy);
      return c.json({ deploy: toJson(deploy) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/deploys/promote",
      tags,
      description: "Deploys to a stage the exact digest running in its promote_from stage.",
      middleware: [write] as const,
      request: { body: jsonBody(PromoteSchema) },
      responses: { 201: jsonResponse(DeployResponse, "The queued deploy"), ...WRITE_ERRORS },
    }),
    async (c) => {
      const { stageId } = c.req.valid("json");
      const principal = c.get("principal");
      await requireStageInProject(deps, principal, stageId);
      const deploy = await runOperation(() =>
        promote(deps.db, { stageId, requestedBy: describePrincipal(principal) }),
      );
      await recordChange(deps, principal, "deploy.promote", deploy);
      return c.json({ deploy: toJson(deploy) }, 201);
    },
  );

  registerTransition(
    app,
    deps,
    write,
    "approve",
    "Queues a deploy that waits for approval.",
    (id, by) => approveDeploy(deps.db, { deployId: id, approvedBy: by }),
  );
  registerTransition(
    app,
    deps,
    write,
    "reject",
    "Rejects a deploy that waits for approval.",
    (id, by) => rejectDeploy(deps.db, { deployId: id, rejectedBy: by }),
  );
  registerTransition(
    app,
    deps,
    write,
    "cancel",
    "Cancels a deploy that is queued or waits for approval; a running deploy runs to its end.",
    (id) => cancelDeploy(deps, id),
  );

  registerCopy(app, deps, write, {
    action: "rollback",
    description: "Queues a new deploy of the exact digest this succeeded deploy ran.",
    run: (deployId, requestedBy) => rollback(deps.db, { deployId, requestedBy }),
  });
  registerCopy(app, deps, write, {
    action: "redeploy",
    description:
      "Queues a new deploy of the same tag and digest as this deploy; the new deploy records it as its source.",
    run: (deployId, requestedBy) => redeploy(deps.db, { deployId, requestedBy }),
    extraResponses: { 422: jsonResponse(ErrorSchema, "The deploy never resolved a digest") },
  });
}

type Write = ReturnType<typeof requireAuth>;

/**
 * Registers `POST /deploys/{id}/<action>` for an operation that queues a new deploy of an
 * earlier one's digest. It returns 201 with the new deploy and audits the source id.
 */
function registerCopy(
  app: OpenAPIHono<AuthEnv>,
  deps: OperationsDeps,
  write: Write,
  copy: {
    action: "rollback" | "redeploy";
    description: string;
    run: (deployId: string, requestedBy: string) => Promise<Deploy>;
    extraResponses?: Record<number, ReturnType<typeof jsonResponse>>;
  },
): void {
  app.openapi(
    createRoute({
      method: "post",
      path: `/deploys/{id}/${copy.action}`,
      tags,
      description: copy.description,
      middleware: [write, inProject(deps, "deploy")] as const,
      request: { params: IdParams },
      responses: {
        201: jsonResponse(DeployResponse, "The queued deploy"),
        ...AUTH_ERRORS,
        ...NOT_FOUND,
        ...CONFLICT,
        ...copy.extraResponses,
      },
    }),
    async (c) => {
      const id = requireId("deploy", c.req.valid("param").id);
      const principal = c.get("principal");
      const deploy = await runOperation(() => copy.run(id, describePrincipal(principal)));
      await recordChange(deps, principal, `deploy.${copy.action}`, deploy, { sourceDeployId: id });
      return c.json({ deploy: toJson(deploy) }, 201);
    },
  );
}

function registerTransition(
  app: OpenAPIHono<AuthEnv>,
  deps: OperationsDeps,
  write: Write,
  action: string,
  description: string,
  run: (deployId: string, by: string) => Promise<Deploy>,
): void {
  app.openapi(
    createRoute({
      method: "post",
      path: `/deploys/{id}/${action}`,
      tags,
      description,
      middleware: [write, inProject(deps, "deploy")] as const,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(DeployResponse, "The deploy"),
        ...AUTH_ERRORS,
        ...NOT_FOUND,
        ...CONFLICT,
      },
    }),
    async (c) => {
      const id = requireId("deploy", c.req.valid("param").id);
      const principal = c.get("principal");
      const deploy = await runOperation(() => run(id, describePrincipal(principal)));
      await recordChange(deps, principal, `deploy.${action}`, deploy);
      return c.json({ deploy: toJson(deploy) }, 200);
    },
  );
}

async function cancelDeploy(deps: OperationsDeps, id: string): Promise<Deploy> {
  for (const from of ["queued", "pending_approval"] as const) {
    const moved = await transitionDeploy(deps.db, id, from, "cancelled", {
      finishedAt: new Date(),
    });
    if (moved) {
      return moved;
    }
  }
  const current = await getDeploy(deps.db, id);
  throw new ApiError(
    "conflict",
    `cannot cancel deploy ${id}: it is ${current.status}; only queued or pending_approval deploys can be cancelled`,
  );
}

/**
 * Raises, for a stage outside a limited token's project, the 422 the deployer gives for an
 * unknown stage, so the response does not tell that the stage exists.
 */
async function requireStageInProject(
  deps: OperationsDeps,
  principal: Principal,
  stageId: string,
): Promise<void> {
  try {
    await requireInProject(deps.db, principal, "stage", stageId);
  } catch (error) {
    if (error instanceof StoreError && error.kind === "not_found") {
      throw new ApiError("validation_failed", `stage ${stageId} not found: check the stage id`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Audits the change and wakes the worker when a deploy now waits in the queue. */
async function recordChange(
  deps: OperationsDeps,
  principal: AuthEnv["Variables"]["principal"],
  action: string,
  deploy: Deploy,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await audit(
    deps.db,
    principal,
    action,
    { type: "deploy", id: deploy.id },
    { stageId: deploy.stageId, tag: deploy.tag, status: deploy.status, ...extra },
  );
  if (deploy.status === "queued") {
    deps.wake?.();
  }
}
