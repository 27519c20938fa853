import type { Database } from "../database.js";
import { StoreError } from "../errors.js";
import {
  createProject,
  getProjectBySlug,
  type Project,
  updateProject,
} from "../queries/projects.js";
import {
  createRegistry,
  getRegistryByName,
  getRegistryCredentials,
  type Registry,
  updateRegistry,
} from "../queries/registries.js";
import {
  getSettings,
  getSettingsSecrets,
  type SettingsPatch,
  updateSettings,
} from "../queries/settings.js";
import {
  createStage,
  getStageEnvForDeploy,
  listStages,
  type Stage,
  updateStage,
} from "../queries/stages.js";
import type { WebhookSource } from "../schema.js";
import type { Secrets } from "../secrets.js";
import { canonicalJson } from "./canonical.js";
import { ConfigFileError, parseConfigFile } from "./parse.js";
import {
  type Environment,
  type ResolvedConfig,
  type ResolvedProject,
  type ResolvedRegistry,
  type ResolvedStage,
  resolveConfig,
} from "./resolve.js";
import { checkTagPatterns, type TagPatternCheck } from "./tag-patterns.js";
import { checkVolumeSources } from "./volumes.js";

export interface ImportOptions {
  /** The file's text. */
  text: string;
  /** Name of the file, used in messages. */
  file: string;
  /** Environment from which `*_env` references are read; the caller passes its own. */
  env: Environment;
  /**
   * Checks each stage's include and exclude patterns as the poller compiles them.
   * NOTE: without it, patterns are stored unchecked and a bad one fails at the first poll.
   */
  checkTagPattern?: TagPatternCheck;
}

/** Counts of rows an import created, updated or left as they were. */
export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
}

type Outcome = keyof ImportSummary;

/**
 * Imports registries, projects, stages (with env and volumes) and settings from a YAML file
 * in one transaction. Rows are matched by registry name, project slug and stage name. Rows
 * the file does not mention are left alone, and a row whose values already match is not
 * written. Throws `ConfigFileError` for an invalid file, with nothing changed.
 */
export async function importConfig(
  db: Database,
  secrets: Secrets,
  options: ImportOptions,
): Promise<ImportSummary> {
  const parsed = parseConfigFile(options.text, options.file);
  if (options.checkTagPattern) {
    checkTagPatterns(parsed, options.file, options.checkTagPattern);
  }
  const config = resolveConfig(parsed, options.env, options.file);
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0 };
  const count = (outcome: Outcome) => {
    summary[outcome] += 1;
  };

  await db.transaction(async (tx) => {
    await checkVolumeSources(tx, parsed, options.file);
    await applyConfig(tx, secrets, config, options.file, count);
  });
  return summary;
}

async function applyConfig(
  db: Database,
  secrets: Secrets,
  config: ResolvedConfig,
  file: string,
  count: (outcome: Outcome) => void,
): Promise<void> {
  if (Object.keys(config.settings).length > 0) {
    count(await applySettings(db, secrets, config.settings));
  }
  for (const registry of config.registries) {
    count(await applyRegistry(db, secrets, registry));
  }
  for (const [index, project] of config.projects.entries()) {
    const registry = await findRegistry(db, project.registry, index, file);
    const { row, outcome } = await applyProject(db, project, registry.id);
    count(outcome);
    for (const stageOutcome of await applyStages(db, secrets, row, project, index, file)) {
      count(stageOutcome);
    }
  }
}

async function applySettings(
  db: Database,
  secrets: Secrets,
  desired: SettingsPatch,
): Promise<Outcome> {
  const stored = await getSettingsSecrets(db, secrets);
  const current: Record<string, unknown> = {
    ...(await getSettings(db)),
    npmPassword: stored.npmPassword,
    notificationSecret: stored.notificationSecret,
  };

  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(desired)) {
    const changed =
      key === "webhookSecrets"
        ? Object.entries(value as object).some(
            ([source, secret]) => stored.webhookSecrets[source as WebhookSource] !== secret,
          )
        : canonicalJson(current[key]) !== canonicalJson(value);
    if (changed) {
      patch[key] = value;
    }
  }

  if (Object.keys(patch).length === 0) {
    return "unchanged";
  }
  await updateSettings(db, secrets, patch as SettingsPatch);
  return "updated";
}

async function applyRegistry(
  db: Database,
  secrets: Secrets,
  desired: ResolvedRegistry,
): Promise<Outcome> {
  const existing = await findOptional(() => getRegistryByName(db, desired.name));
  if (!existing) {
    await createRegistry(db, secrets, desired);
    return "created";
  }

  const { token, ...plain } = desired;
  const current = {
    name: existing.name,
    type: existing.type,
    url: existing.url,
    username: existing.username,
  };
  const tokenChanged =
    token !== undefined && (await getRegistryCredentials(db, secrets, existing.id)).token !== token;
  if (canonicalJson(current) === canonicalJson(plain) && !tokenChanged) {
    return "unchanged";
  }
  await updateRegistry(db, secrets, existing.id, tokenChanged ? { ...plain, token } : plain);
  return "updated";
}

async function findRegistry(
  db: Database,
  name: string,
  projectIndex: number,
  file: string,
): Promise<Registry> {
  const registry = await findOptional(() => getRegistryByName(db, name));
  if (!registry) {
    throw new ConfigFileError(file, [
      `projects[${projectIndex}].registry: no registry named "${name}" in the file or the database`,
    ]);
  }
  return registry;
}

async function applyProject(
  db: Database,
  desired: ResolvedProject,
  registryId: string,
): Promise<{ row: Project; outcome: Outcome }> {
  const values = {
    slug: desired.slug,
    name: desired.name,
    registryId,
    repository: desired.repository,
    notificationUrl: desired.notificationUrl,
  };
  const existing = await findOptional(() => getProjectBySlug(db, desired.slug));
  if (!existing) {
    return { row: await createProject(db, values), outcome: "created" };
  }

  const current = {
    slug: existing.slug,
    name: existing.name,
    registryId: existing.registryId,
    repository: existing.repository,
    notificationUrl: existing.notificationUrl,
  };
  if (canonicalJson(current) === canonicalJson(values)) {
    return { row: existing, outcome: "unchanged" };
  }
  return { row: await updateProject(db, existing.id, values), outcome: "updated" };
}

/**
 * Creates or updates the project's stages, then links `promote_from` in a second pass, because
 * a stage may promote from one listed after it.
 */
async function applyStages(
  db: Database,
  secrets: Secrets,
  project: Project,
  desired: ResolvedProject,
  projectIndex: number,
  file: string,
): Promise<Outcome[]> {
  const existing = new Map((await listStages(db, project.id)).map((stage) => [stage.name, stage]));
  const outcomes = new Map<string, Outcome>();
  const ids = new Map<string, string>([...existing].map(([name, stage]) => [name, stage.id]));

  for (const stage of desired.stages) {
    const current = existing.get(stage.name);
    if (!current) {
      const created = await createStage(db, secrets, {
        projectId: project.id,
        name: stage.name,
        ...stage.columns,
        env: stage.env,
        volumes: stage.volumes,
      });
      ids.set(stage.name, created.id);
      outcomes.set(stage.name, "created");
    } else if (await stageMatches(db, secrets, current, stage)) {
      outcomes.set(stage.name, "unchanged");
    } else {
      await updateStage(db, secrets, current.id, {
        ...stage.columns,
        env: stage.env,
        volumes: stage.volumes,
      });
      outcomes.set(stage.name, "updated");
    }
  }

  for (const [stageIndex, stage] of desired.stages.entries()) {
    const promoteFromId = stage.promoteFrom === undefined ? null : ids.get(stage.promoteFrom);
    if (promoteFromId === undefined) {
      throw new ConfigFileError(file, [
        `projects[${projectIndex}].stages[${stageIndex}].promote_from: no stage named "${stage.promoteFrom}" in project ${project.slug}`,
      ]);
    }
    const id = ids.get(stage.name);
    const before = existing.get(stage.name)?.promoteFromStageId ?? null;
    if (id && before !== promoteFromId) {
      await updateStage(db, secrets, id, { promoteFromStageId: promoteFromId });
      if (outcomes.get(stage.name) === "unchanged") {
        outcomes.set(stage.name, "updated");
      }
    }
  }
  return [...outcomes.values()];
}

async function stageMatches(
  db: Database,
  secrets: Secrets,
  current: Stage,
  desired: ResolvedStage,
): Promise<boolean> {
  const columns = Object.fromEntries(
    Object.keys(desired.columns).map((key) => [key, current[key as keyof Stage]]),
  );
  const plainEnv = await getStageEnvForDeploy(db, secrets, current.id);
  const env = current.env.map((variable) => ({
    key: variable.key,
    value: plainEnv[variable.key] ?? "",
    secret: variable.secret,
  }));
  return (
    canonicalJson(columns) === canonicalJson(desired.columns) &&
    canonicalJson(env) === canonicalJson(desired.env) &&
    canonicalJson(current.volumes) === canonicalJson(desired.volumes)
  );
}

async function findOptional<T>(lookup: () => Promise<T>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof StoreError && error.kind === "not_found") {
      return undefined;
    }
    throw error;
  }
}
