/**
 * The project limit of API tokens. A token made for one project (a CI pipeline's, say) reads
 * and changes that project's rows as if no other project existed, and gets 403 on every
 * global route.
 * Project-owned routes call `requireInProject` or the `inProject` middleware for every id a
 * request names, so the check lives here and not in each route.
 */
import { type Database, deploys, instances, notFound, projects, stages } from "@berth/store";
import { eq } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../http/errors.js";
import type { AccessLevel, AuthEnv, Principal } from "./principal.js";

/** The project a limited token may reach. */
export interface ProjectLimit {
  id: string;
  slug: string;
}

/** Kinds of rows that belong to one project, with the name the store uses in "not found". */
export type ProjectOwnedKind = "project" | "stage" | "deploy" | "instance";

/**
 * How far a route reaches. `global` routes (registries, settings, users, tokens, audit,
 * webhook settings, quick deploy) reject limited tokens. `project` routes let them in and
 * check each id, and `account` routes only concern the caller itself (`/auth/me`).
 */
export type RouteReach = "global" | "project" | "account";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const SCOPE_FOR_LEVEL: Record<AccessLevel, string> = {
  viewer: "read",
  operator: "deploy",
  admin: "admin",
};

/** Returns the project a principal is limited to, or undefined when it reaches every project. */
export function projectLimitOf(principal: Principal): ProjectLimit | undefined {
  return principal.type === "token" ? (principal.project ?? undefined) : undefined;
}

/** Raises 403 when a limited token calls a route that reaches beyond one project. */
export function assertReach(
  principal: Principal,
  reach: RouteReach,
  request: { method: string; path: string; level: AccessLevel },
): void {
  const limit = projectLimitOf(principal);
  if (!limit || reach !== "global" || principal.type !== "token") {
    return;
  }
  throw new ApiError(
    "forbidden",
    `token ${principal.tokenName} is limited to project ${limit.slug}, and ${request.method} ${request.path} reaches beyond one project: use a ${SCOPE_FOR_LEVEL[request.level]} token without a project limit, or sign in`,
  );
}

/**
 * Raises the store's usual `<kind> <id> not found` unless the row belongs to the principal's
 * project. A row of another project and a row that does not exist get the same error, so a
 * limited token cannot tell which ids other projects use. Principals without a limit pass.
 */
export async function requireInProject(
  db: Database,
  principal: Principal,
  kind: ProjectOwnedKind,
  id: string,
): Promise<void> {
  const limit = projectLimitOf(principal);
  if (!limit) {
    return;
  }
  const owner = UUID.test(id) ? await ownerProjectOf(db, kind, id) : undefined;
  if (owner !== limit.id) {
    throw notFound(kind, id);
  }
}

/** Middleware for routes with an `:id` of a project-owned row: runs `requireInProject` on it. */
export function inProject(
  deps: { db: Database },
  kind: ProjectOwnedKind,
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    await requireInProject(deps.db, c.get("principal"), kind, c.req.param("id") ?? "");
    await next();
  };
}

/**
 * Returns the project id a list is narrowed to: the limit when there is one, else the
 * requested filter. `null` means the request names another project, so the list is empty.
 */
export function listProjectId(
  principal: Principal,
  requested: string | undefined,
): string | undefined | null {
  const limit = projectLimitOf(principal);
  if (!limit) {
    return requested;
  }
  return requested === undefined || requested === limit.id ? limit.id : null;
}

/** Returns the id of the project that owns the row, or undefined when there is no such row. */
async function ownerProjectOf(
  db: Database,
  kind: ProjectOwnedKind,
  id: string,
): Promise<string | undefined> {
  const rows = await ownerQuery(db, kind, id);
  return rows[0]?.projectId;
}

function ownerQuery(db: Database, kind: ProjectOwnedKind, id: string) {
  switch (kind) {
    case "project":
      return db.select({ projectId: projects.id }).from(projects).where(eq(projects.id, id));
    case "stage":
      return db.select({ projectId: stages.projectId }).from(stages).where(eq(stages.id, id));
    case "deploy":
      return db
        .select({ projectId: stages.projectId })
        .from(deploys)
        .innerJoin(stages, eq(stages.id, deploys.stageId))
        .where(eq(deploys.id, id));
    case "instance":
      return db
        .select({ projectId: stages.projectId })
        .from(instances)
        .innerJoin(stages, eq(stages.id, instances.stageId))
        .where(eq(instances.id, id));
  }
}
