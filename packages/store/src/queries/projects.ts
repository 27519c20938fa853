import { asc, eq } from "drizzle-orm";
import { notFound } from "../errors.js";
import { projects } from "../schema.js";
import type { Executor } from "./candidates.js";
import { isUuid, requireUuid, withStoreErrors } from "./run.js";

export type Project = typeof projects.$inferSelect;

export interface ProjectInput {
  slug: string;
  name: string;
  registryId: string;
  /** Image repository inside the registry, e.g. `acme/shop`. */
  repository: string;
  notificationUrl?: string | null | undefined;
}

export type ProjectPatch = Partial<ProjectInput>;

export async function listProjects(db: Executor): Promise<Project[]> {
  return withStoreErrors(() => db.select().from(projects).orderBy(asc(projects.slug)));
}

/** Throws `StoreError` `not_found` when no project has this id. */
export async function getProject(db: Executor, id: string): Promise<Project> {
  return readRow(db, "id", id);
}

/** Throws `StoreError` `not_found` when no project has this slug. */
export async function getProjectBySlug(db: Executor, slug: string): Promise<Project> {
  return readRow(db, "slug", slug);
}

/**
 * Throws `StoreError` `unique_violation` for a taken slug, `foreign_key_violation` for an
 * unknown registry and `check_violation` for a slug that is not lower-case letters, digits
 * and hyphens.
 */
export async function createProject(db: Executor, input: ProjectInput): Promise<Project> {
  const [row] = await withStoreErrors(() => db.insert(projects).values(input).returning());
  if (!row) {
    throw notFound("project", input.slug);
  }
  return row;
}

export async function updateProject(
  db: Executor,
  id: string,
  patch: ProjectPatch,
): Promise<Project> {
  requireUuid("project", id);
  requireUuid("project", id);
  const [row] = await withStoreErrors(() =>
    db
      .update(projects)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(projects.id, id))
      .returning(),
  );
  if (!row) {
    throw notFound("project", id);
  }
  return row;
}

/** Deletes the project with its stages and everything that hangs off them. */
export async function deleteProject(db: Executor, id: string): Promise<void> {
  requireUuid("project", id);
  const rows = await withStoreErrors(() =>
    db.delete(projects).where(eq(projects.id, id)).returning({ id: projects.id }),
  );
  if (rows.length === 0) {
    throw notFound("project", id);
  }
}

async function readRow(db: Executor, by: "id" | "slug", value: string): Promise<Project> {
  if (by === "id" && !isUuid(value)) {
    throw notFound("project", value);
  }
  const column = by === "id" ? projects.id : projects.slug;
  const [row] = await withStoreErrors(() => db.select().from(projects).where(eq(column, value)));
  if (!row) {
    throw notFound("project", value);
  }
  return row;
}
