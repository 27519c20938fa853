import {
  apiTokens,
  appendDeployLog,
  auditLog,
  createProject,
  createRegistry,
  createStage,
  type DatabaseHandle,
  deployLogs,
  deploys,
  insertInstance,
  instances,
  projects,
  queueDeploy,
  stageEnv,
  stages,
} from "@berth/store";
import { asc, eq } from "drizzle-orm";
import { json } from "./helpers.js";
import { type Call, caller, type FullApp, secrets } from "./ops-helpers.js";

const DIGEST = `sha256:${"c".repeat(64)}`;

/**
 * A closed port on the loopback address: the registry is never reached, and a tag listing
 * there fails fast with a connection error instead of calling a real host.
 */
export const CLOSED_REGISTRY_URL = "http://127.0.0.1:9";

/**
 * Seeds one project with two stages (`dev` auto-deploys, `prod` promotes from it), a
 * succeeded deploy on dev with a log line and a running instance, and a prod deploy that
 * waits for approval.
 */
async function seedOwnedRows(handle: DatabaseHandle, registryId: string, slug: string) {
  const { db } = handle;
  const project = await createProject(db, {
    slug,
    name: slug,
    registryId,
    repository: `acme/${slug}`,
  });
  const dev = await createStage(db, secrets, {
    projectId: project.id,
    name: "dev",
    policy: { kind: "semver" },
    autoDeploy: true,
  });
  const prod = await createStage(db, secrets, {
    projectId: project.id,
    name: "prod",
    policy: { kind: "semver" },
    promoteFromStageId: dev.id,
  });
  const succeeded = await queueDeploy(db, {
    stageId: dev.id,
    tag: "1.0.0",
    digest: DIGEST,
    trigger: "manual",
  });
  await db.update(deploys).set({ status: "succeeded" }).where(eq(deploys.id, succeeded.id));
  await appendDeployLog(db, { deployId: succeeded.id, step: "pull", message: `pulled ${slug}` });
  const pending = await queueDeploy(db, {
    stageId: prod.id,
    tag: "1.0.0",
    digest: DIGEST,
    trigger: "promote",
    status: "pending_approval",
  });
  const instance = await insertInstance(db, {
    stageId: dev.id,
    deployId: succeeded.id,
    containerName: `${slug}-dev-1`,
    tag: "1.0.0",
    digest: DIGEST,
    status: "running",
  });
  return { project, dev, prod, succeeded, pending, instance };
}

export type OwnedRows = Awaited<ReturnType<typeof seedOwnedRows>>;

/** Seeds a registry and two projects, `shop` (A) and `blog` (B), with rows of every kind. */
export async function seedTwoProjects(handle: DatabaseHandle) {
  await handle.db.execute("truncate registries cascade");
  const registry = await createRegistry(handle.db, secrets, {
    name: "main",
    type: "oci",
    url: CLOSED_REGISTRY_URL,
  });
  const other = await createRegistry(handle.db, secrets, {
    name: "other",
    type: "oci",
    url: CLOSED_REGISTRY_URL,
  });
  const a = await seedOwnedRows(handle, registry.id, "shop");
  const b = await seedOwnedRows(handle, registry.id, "blog");
  return { registry, other, a, b };
}

/** Creates a token through the routes, limited to the project, and returns a caller using it. */
export async function limitedCaller(
  app: FullApp,
  session: Call,
  projectId: string,
  scope: "read" | "deploy" | "admin" = "deploy",
) {
  const response = await session("POST", "/tokens", {
    name: `ci-${scope}-limited`,
    scope,
    projectId,
  });
  if (response.status !== 201) {
    throw new Error(`token creation failed: ${response.status} ${await response.text()}`);
  }
  const { secret, token } = await json<{ secret: string; token: { id: string } }>(response);
  return { call: caller(app, { authorization: `Bearer ${secret}` }), tokenId: token.id };
}

/**
 * Reads every row a project-owned request could change, in a stable order. Token use
 * times are left out: every authenticated request moves them on purpose.
 */
export async function snapshotRows(handle: DatabaseHandle) {
  const { db } = handle;
  return JSON.stringify({
    projects: await db.select().from(projects).orderBy(asc(projects.id)),
    stages: await db.select().from(stages).orderBy(asc(stages.id)),
    stageEnv: await db.select().from(stageEnv).orderBy(asc(stageEnv.id)),
    deploys: await db.select().from(deploys).orderBy(asc(deploys.id)),
    deployLogs: await db.select().from(deployLogs).orderBy(asc(deployLogs.id)),
    instances: await db.select().from(instances).orderBy(asc(instances.id)),
    tokens: await db
      .select({ id: apiTokens.id, revokedAt: apiTokens.revokedAt })
      .from(apiTokens)
      .orderBy(asc(apiTokens.id)),
    audit: await db.select().from(auditLog).orderBy(asc(auditLog.id)),
  });
}
