import { and, asc, eq, inArray } from "drizzle-orm";
import type { Database } from "../database.js";
import { notFound } from "../errors.js";
import { stageEnv, stages, stageVolumes, type VolumeKind } from "../schema.js";
import type { Secrets } from "../secrets.js";
import type { Executor } from "./candidates.js";
import { isUuid, requireUuid, withStoreErrors } from "./run.js";

type StageRow = typeof stages.$inferSelect;

/** A stage variable as list and get functions return it: a secret has `value: null`. */
export interface StageEnvVar {
  key: string;
  value: string | null;
  secret: boolean;
}

export interface StageEnvInput {
  key: string;
  value: string;
  /** Stored encrypted and never returned by list or get functions. */
  secret?: boolean | undefined;
}

export interface StageVolume {
  kind: VolumeKind;
  source: string;
  target: string;
  readOnly: boolean;
}

export type StageVolumeInput = Omit<StageVolume, "readOnly"> & { readOnly?: boolean | undefined };

export type Stage = StageRow & { env: StageEnvVar[]; volumes: StageVolume[] };

type StageColumns = Omit<
  typeof stages.$inferInsert,
  "id" | "projectId" | "createdAt" | "updatedAt"
>;

export type StageInput = StageColumns & {
  projectId: string;
  env?: StageEnvInput[] | undefined;
  volumes?: StageVolumeInput[] | undefined;
};

/** A change to a stage; `env` and `volumes`, when given, replace the stage's whole set. */
export type StagePatch = Partial<StageColumns> & {
  env?: StageEnvInput[] | undefined;
  volumes?: StageVolumeInput[] | undefined;
};

/** Lists stages with their env and volumes, of one project or of all. */
export async function listStages(db: Executor, projectId?: string): Promise<Stage[]> {
  if (projectId !== undefined && !isUuid(projectId)) {
    return [];
  }
  const rows = await withStoreErrors(() =>
    db
      .select()
      .from(stages)
      .where(projectId === undefined ? undefined : eq(stages.projectId, projectId))
      .orderBy(asc(stages.projectId), asc(stages.name)),
  );
  return withDetails(db, rows);
}

/** Throws `StoreError` `not_found` when no stage has this id. */
export async function getStage(db: Executor, id: string): Promise<Stage> {
  requireUuid("stage", id);
  const [row] = await withStoreErrors(() => db.select().from(stages).where(eq(stages.id, id)));
  if (!row) {
    throw notFound("stage", id);
  }
  return (await withDetails(db, [row]))[0] ?? { ...row, env: [], volumes: [] };
}

/** Throws `StoreError` `not_found` when the project has no stage of this name. */
export async function getStageByName(
  db: Executor,
  projectId: string,
  name: string,
): Promise<Stage> {
  requireUuid("project", projectId);
  const [row] = await withStoreErrors(() =>
    db
      .select()
      .from(stages)
      .where(and(eq(stages.projectId, projectId), eq(stages.name, name))),
  );
  if (!row) {
    throw notFound("stage", name);
  }
  return (await withDetails(db, [row]))[0] ?? { ...row, env: [], volumes: [] };
}

/** Creates a stage with its env and volumes in one transaction. */
export async function createStage(
  db: Database,
  secrets: Secrets,
  input: StageInput,
): Promise<Stage> {
  const { env, volumes, ...columns } = input;
  const id = await withStoreErrors(() =>
    db.transaction(async (tx) => {
      const [row] = await tx.insert(stages).values(columns).returning({ id: stages.id });
      if (!row) {
        throw notFound("stage", input.name);
      }
      await replaceEnv(tx, secrets, row.id, env ?? []);
      await replaceVolumes(tx, row.id, volumes ?? []);
      return row.id;
    }),
  );
  return getStage(db, id);
}

/** Updates a stage and, when given, replaces its env and volumes, in one transaction. */
export async function updateStage(
  db: Database,
  secrets: Secrets,
  id: string,
  patch: StagePatch,
): Promise<Stage> {
  requireUuid("stage", id);
  const { env, volumes, ...columns } = patch;
  await withStoreErrors(() =>
    db.transaction(async (tx) => {
      const rows = await tx
        .update(stages)
        .set({ ...columns, updatedAt: new Date() })
        .where(eq(stages.id, id))
        .returning({ id: stages.id });
      if (rows.length === 0) {
        throw notFound("stage", id);
      }
      if (env !== undefined) {
        await replaceEnv(tx, secrets, id, env);
      }
      if (volumes !== undefined) {
        await replaceVolumes(tx, id, volumes);
      }
    }),
  );
  return getStage(db, id);
}

/** Deletes the stage with its env, volumes, poll state, deploys and instances. */
export async function deleteStage(db: Executor, id: string): Promise<void> {
  requireUuid("stage", id);
  const rows = await withStoreErrors(() =>
    db.delete(stages).where(eq(stages.id, id)).returning({ id: stages.id }),
  );
  if (rows.length === 0) {
    throw notFound("stage", id);
  }
}

/** Returns the stage's variables with secrets decrypted; for the deployer only. */
export async function getStageEnvForDeploy(
  db: Executor,
  secrets: Secrets,
  stageId: string,
): Promise<Record<string, string>> {
  requireUuid("stage", stageId);
  const rows = await withStoreErrors(() =>
    db.select().from(stageEnv).where(eq(stageEnv.stageId, stageId)).orderBy(asc(stageEnv.key)),
  );
  const env: Record<string, string> = {};
  for (const row of rows) {
    env[row.key] =
      row.valueEncrypted === null ? (row.value ?? "") : secrets.decrypt(row.valueEncrypted);
  }
  return env;
}

async function replaceEnv(
  db: Executor,
  secrets: Secrets,
  stageId: string,
  env: StageEnvInput[],
): Promise<void> {
  await db.delete(stageEnv).where(eq(stageEnv.stageId, stageId));
  if (env.length === 0) {
    return;
  }
  await db.insert(stageEnv).values(
    env.map((variable) => ({
      stageId,
      key: variable.key,
      secret: variable.secret ?? false,
      value: variable.secret ? null : variable.value,
      valueEncrypted: variable.secret ? secrets.encrypt(variable.value) : null,
    })),
  );
}

async function replaceVolumes(
  db: Executor,
  stageId: string,
  volumes: StageVolumeInput[],
): Promise<void> {
  await db.delete(stageVolumes).where(eq(stageVolumes.stageId, stageId));
  if (volumes.length === 0) {
    return;
  }
  await db
    .insert(stageVolumes)
    .values(volumes.map((volume) => ({ ...volume, readOnly: volume.readOnly ?? false, stageId })));
}

async function withDetails(db: Executor, rows: StageRow[]): Promise<Stage[]> {
  if (rows.length === 0) {
    return [];
  }
  const ids = rows.map((row) => row.id);
  const [envRows, volumeRows] = await withStoreErrors(() =>
    Promise.all([
      db.select().from(stageEnv).where(inArray(stageEnv.stageId, ids)).orderBy(asc(stageEnv.key)),
      db
        .select()
        .from(stageVolumes)
        .where(inArray(stageVolumes.stageId, ids))
        .orderBy(asc(stageVolumes.target)),
    ]),
  );

  return rows.map((row) => ({
    ...row,
    env: envRows
      .filter((variable) => variable.stageId === row.id)
      .map((variable) => ({ key: variable.key, value: variable.value, secret: variable.secret })),
    volumes: volumeRows
      .filter((volume) => volume.stageId === row.id)
      .map(({ kind, source, target, readOnly }) => ({ kind, source, target, readOnly })),
  }));
}
