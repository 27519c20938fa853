import { type Database, projects, registries, stages, type TagPolicy } from "@berth/store";

let counter = 0;

/** Inserts a registry row of type `oci` at `url`. */
export async function seedRegistry(db: Database, url: string, name?: string): Promise<string> {
  counter += 1;
  const [row] = await db
    .insert(registries)
    .values({ name: name ?? `registry-${counter}`, type: "oci", url })
    .returning({ id: registries.id });
  return row!.id;
}

export interface StageSeed {
  registryId: string;
  repository: string;
  include?: string[];
  exclude?: string[];
  policy?: TagPolicy;
  autoDeploy?: boolean;
  name?: string;
}

/** Inserts a project for the repository (or reuses it) and one stage on it. */
export async function seedStage(db: Database, seed: StageSeed): Promise<string> {
  counter += 1;
  const [project] = await db
    .insert(projects)
    .values({
      slug: `project-${counter}`,
      name: `Project ${counter}`,
      registryId: seed.registryId,
      repository: seed.repository,
    })
    .returning({ id: projects.id });
  const [stage] = await db
    .insert(stages)
    .values({
      projectId: project!.id,
      name: seed.name ?? "dev",
      tagInclude: seed.include ?? [],
      tagExclude: seed.exclude ?? [],
      policy: seed.policy ?? { kind: "semver" },
      autoDeploy: seed.autoDeploy ?? true,
    })
    .returning({ id: stages.id });
  return stage!.id;
}
