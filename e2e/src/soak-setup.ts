/**
 * Configures the soak scenario through Berth's public API: one registry, a project per
 * image repository, its stages, and the Gitea webhook secret. Every repository is pushed
 * once first, so the stages' first poll has a tag to record.
 */
import { pushTestImage } from "@berth/testing";
import type { ApiClient } from "./api-client.js";
import type { FlowRig } from "./rig.js";
import { BASE_TAG, SOAK_OWNER, type SoakRepository } from "./soak-layout.js";
import { waitFor } from "./wait.js";

/** A configured repository: its project's stage ids, the auto-deploy one first when it has one. */
export interface SoakProject {
  repository: SoakRepository;
  stageIds: string[];
  /** The stage that deploys for real, or undefined when every stage waits for approval. */
  autoStageId: string | undefined;
}

export interface SoakSetup {
  projects: SoakProject[];
  giteaSecret: string;
}

const HEALTH_CHECK = {
  path: "/health",
  expectedStatus: 200,
  intervalSeconds: 1,
  timeoutSeconds: 2,
};

/** Pushes `BASE_TAG` of every repository, then creates the registry, projects and stages. */
export async function configureSoak(
  api: ApiClient,
  rig: FlowRig,
  repositories: readonly SoakRepository[],
): Promise<SoakSetup> {
  for (const repository of repositories) {
    await pushSoakImage(rig, repository.name, BASE_TAG);
  }

  await api.patch("/settings", {
    npmUrl: rig.npm.url,
    npmEmail: rig.npm.email,
    npmPassword: rig.npm.password,
    baseDomain: "example.test",
    reachMode: "host_port",
    hostAddress: "127.0.0.1",
    // Generous, because deploys share two cores with the load of the whole soak.
    healthTimeoutSeconds: 30,
  });
  const { registry } = await api.post<{ registry: { id: string } }>("/registries", {
    name: "soak",
    type: "oci",
    url: rig.registry.url,
  });

  const projects: SoakProject[] = [];
  for (const repository of repositories) {
    projects.push(await createProject(api, registry.id, repository));
  }
  const { secret } = await api.post<{ secret: string }>("/webhooks/gitea/secret");
  return { projects, giteaSecret: secret };
}

/** Pushes one tag of a soak repository with content of its own, so each tag has its own digest. */
export async function pushSoakImage(rig: FlowRig, name: string, tag: string): Promise<string> {
  const { digest } = await pushTestImage({
    registry: rig.registry.host,
    repository: `${SOAK_OWNER}/${name}`,
    tag,
    content: `${name} ${tag}`,
  });
  return digest;
}

async function createProject(
  api: ApiClient,
  registryId: string,
  repository: SoakRepository,
): Promise<SoakProject> {
  const { project } = await api.post<{ project: { id: string } }>("/projects", {
    slug: repository.name,
    name: repository.name,
    registryId,
    repository: `${SOAK_OWNER}/${repository.name}`,
  });

  const stageIds: string[] = [];
  for (let index = 0; index < repository.stages; index += 1) {
    const autoDeploy = repository.autoDeploy && index === 0;
    const { stage } = await api.post<{ stage: { id: string } }>("/stages", {
      projectId: project.id,
      name: `s${index}`,
      tagInclude: ["*.*.*"],
      policy: { kind: "semver" },
      autoDeploy,
      containerPort: 8080,
      healthCheck: HEALTH_CHECK,
      restartPolicy: "no",
      // One instance per stage keeps the containers of a long run bounded.
      maxInstances: 1,
    });
    stageIds.push(stage.id);
  }
  return {
    repository,
    stageIds,
    autoStageId: repository.autoDeploy ? stageIds[0] : undefined,
  };
}

/**
 * Waits until every stage had its first poll, read from the "first poll recorded the current
 * tag" lines of every process's log. Until then a new tag could become a stage's baseline
 * instead of a candidate, and the checks would count it as lost.
 */
export async function waitForFirstPolls(
  output: () => string,
  stageIds: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const expected = new Set(stageIds);
  await waitFor(
    `the first poll of ${expected.size} stages`,
    async () => {
      const polled = firstPolledStages(output());
      for (const id of expected) {
        if (!polled.has(id)) return undefined;
      }
      return true;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}

function firstPolledStages(output: string): Set<string> {
  const polled = new Set<string>();
  for (const line of output.split("\n")) {
    if (!line.includes("first poll recorded the current tag")) continue;
    const stage = /"stage":"([0-9a-f-]{36})"/.exec(line)?.[1];
    if (stage) polled.add(stage);
  }
  return polled;
}
