/** Loading everything one deploy needs from the store, in one place. */
import {
  type Database,
  type Deploy,
  getSettings,
  projects,
  registries,
  settings,
  stageEnv,
  stages,
  stageVolumes,
} from "@berth/store";
import { eq } from "drizzle-orm";
import { DeployError } from "../errors.js";

export type StageRow = typeof stages.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type RegistryRow = typeof registries.$inferSelect;
export type SettingsRow = typeof settings.$inferSelect;
export type EnvRow = typeof stageEnv.$inferSelect;
export type VolumeRow = typeof stageVolumes.$inferSelect;

/** The rows a deploy reads: its stage, project, registry, settings, env and volumes. */
export interface DeployContext {
  deploy: Deploy;
  stage: StageRow;
  project: ProjectRow;
  registry: RegistryRow;
  settings: SettingsRow;
  env: EnvRow[];
  volumes: VolumeRow[];
}

/** Reads the deploy's context; a stage or project deleted meanwhile fails the `resolve` step. */
export async function loadDeployContext(db: Database, deploy: Deploy): Promise<DeployContext> {
  const [stage] = await db.select().from(stages).where(eq(stages.id, deploy.stageId));
  if (!stage) {
    throw new DeployError("resolve", `stage ${deploy.stageId} not found: it was deleted`);
  }
  const [project] = await db.select().from(projects).where(eq(projects.id, stage.projectId));
  if (!project) {
    throw new DeployError("resolve", `project ${stage.projectId} not found: it was deleted`);
  }
  const [registry] = await db
    .select()
    .from(registries)
    .where(eq(registries.id, project.registryId));
  if (!registry) {
    throw new DeployError("resolve", `registry ${project.registryId} not found`);
  }
  return {
    deploy,
    stage,
    project,
    registry,
    settings: await readSettingsRow(db),
    env: await db.select().from(stageEnv).where(eq(stageEnv.stageId, stage.id)),
    volumes: await db.select().from(stageVolumes).where(eq(stageVolumes.stageId, stage.id)),
  };
}

/** Reads the settings row with its encrypted columns, which `getSettings` creates on first use. */
export async function readSettingsRow(db: Database): Promise<SettingsRow> {
  await getSettings(db);
  const [row] = await db.select().from(settings).where(eq(settings.id, 1));
  if (!row) {
    throw new Error("settings row 1 is missing after getSettings created it");
  }
  return row;
}

/** Returns the repository as the engine pulls it, e.g. `127.0.0.1:5000/acme/app`. */
export function engineRepository(registry: RegistryRow, repository: string): string {
  if (registry.type === "dockerhub") {
    return `docker.io/${repository}`;
  }
  return `${new URL(registry.url).host}/${repository}`;
}
