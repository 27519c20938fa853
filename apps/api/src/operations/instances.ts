import {
  type DockerClient,
  type InstanceOperationDeps,
  removeInstance,
  restartInstance,
  startInstance,
  stopInstance,
} from "@berth/deployer";
import { getInstance, type Instance } from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { inProject, projectLimitOf } from "../auth/project-limit.js";
import { ApiError } from "../http/errors.js";
import { toJson } from "../resources/json.js";
import { AUTH_ERRORS, jsonResponse, NOT_FOUND } from "../resources/openapi.js";
import { ErrorSchema } from "../resources/schemas.js";
import { runOperation } from "./errors.js";
import { IdParams, requireId } from "./ids.js";
import { listInstances } from "./queries.js";
import { InstanceListQuery, InstanceResponse, InstanceSchema } from "./schemas.js";
import type { OperationsDeps } from "./types.js";

const tags = ["instances"];

const ACTIONS = {
  stop: stopInstance,
  start: startInstance,
  restart: restartInstance,
  remove: removeInstance,
} satisfies Record<string, (deps: InstanceOperationDeps, id: string) => Promise<Instance>>;

/**
 * Adds `/instances`: anyone signed in lists, operators stop, start, restart and remove. A token
 * limited to a project reads and acts on the instances of that project's stages only.
 */
export function registerInstanceRoutes(app: OpenAPIHono<AuthEnv>, deps: OperationsDeps): void {
  const read = requireAuth(deps, "viewer", "project");
  const write = requireAuth(deps, "operator", "project");
  const owned = inProject(deps, "instance");

  app.openapi(
    createRoute({
      method: "get",
      path: "/instances",
      tags,
      middleware: [read] as const,
      request: { query: InstanceListQuery },
      responses: {
        200: jsonResponse(
          z.object({ instances: z.array(InstanceSchema) }),
          "Instances, newest first",
        ),
        ...AUTH_ERRORS,
        422: jsonResponse(ErrorSchema, "A filter is invalid"),
      },
    }),
    async (c) => {
      const projectId = projectLimitOf(c.get("principal"))?.id;
      const filter = { ...c.req.valid("query"), projectId };
      return c.json({ instances: toJson(await listInstances(deps.db, filter)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/instances/{id}",
      tags,
      middleware: [read, owned] as const,
      request: { params: IdParams },
      responses: {
        200: jsonResponse(InstanceResponse, "The instance"),
        ...AUTH_ERRORS,
        ...NOT_FOUND,
      },
    }),
    async (c) => {
      const instance = await getInstance(deps.db, requireId("instance", c.req.valid("param").id));
      return c.json({ instance: toJson(instance) }, 200);
    },
  );

  for (const [action, run] of Object.entries(ACTIONS)) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/instances/{id}/${action}`,
        tags,
        description: `${action[0]?.toUpperCase()}${action.slice(1)}s the instance's container.`,
        middleware: [write, owned] as const,
        request: { params: IdParams },
        responses: {
          200: jsonResponse(InstanceResponse, "The instance after the change"),
          ...AUTH_ERRORS,
          ...NOT_FOUND,
          409: jsonResponse(ErrorSchema, "The instance was removed"),
          503: jsonResponse(ErrorSchema, "No Docker engine is configured or reachable"),
        },
      }),
      async (c) => {
        const id = requireId("instance", c.req.valid("param").id);
        // The lookup comes first so an unknown id is a 404 even when no engine is reachable.
        await getInstance(deps.db, id);
        const docker = requireDocker(deps, action);
        const instance = await runOperation(() =>
          run({ db: deps.db, docker }, id).catch((error: unknown) => {
            throw dockerFailure(error, action, id);
          }),
        );
        await audit(deps.db, c.get("principal"), `instance.${action}`, {
          type: "instance",
          id,
        });
        return c.json({ instance: toJson(instance) }, 200);
      },
    );
  }
}

function requireDocker(deps: OperationsDeps, action: string): DockerClient {
  const docker = deps.docker();
  if (!docker) {
    throw new ApiError(
      "unavailable",
      `cannot ${action} the instance: no Docker engine is reachable; set BERTH_DOCKER_HOST and restart Berth`,
    );
  }
  return docker;
}

/** Turns an engine error into a 503 that names it. The instance row stays as it was. */
function dockerFailure(error: unknown, action: string, id: string): unknown {
  if (error instanceof Error && error.name === "DockerError") {
    return new ApiError("unavailable", `cannot ${action} instance ${id}: ${error.message}`, {
      cause: error,
    });
  }
  return error;
}
