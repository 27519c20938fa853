/**
 * The real parts a pipeline test runs against: the local registry, podman's API service,
 * the NPM stand-in and a migrated database, plus rows for one project.
 */

import {
  type DatabaseHandle,
  type HttpHealthCheck,
  projects,
  registries,
  settings,
  stages,
} from "@berth/store";
import { openTestDatabase, type TestEngine } from "@berth/store/testing";
import {
  type NpmStandIn,
  pushTestImage,
  startNpmStandIn,
  startPodman,
  startRegistry,
  type TestPodman,
  type TestRegistry,
} from "@berth/testing";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { createDockerClient } from "../../src/docker/client.js";
import type { DockerClient } from "../../src/docker/types.js";
import { createProxyManagerClient, type ProxyManagerClient } from "../../src/proxy/client.js";
import {
  createDeployWorker,
  type DeployWorker,
  type DeployWorkerOptions,
} from "../../src/worker.js";

export const HEALTH: HttpHealthCheck = {
  path: "/health",
  expectedStatus: 200,
  intervalSeconds: 0.2,
  timeoutSeconds: 1,
};

/** Test secrets are stored as `enc:<plain>`, so this replaces AES-GCM decryption in tests. */
export const decryptSecret = (value: string): string => value.replace(/^enc:/, "");

export interface Rig {
  registry: TestRegistry;
  podman: TestPodman;
  docker: DockerClient;
  npm: NpmStandIn;
  proxy: ProxyManagerClient;
  handle: DatabaseHandle;
  projectId: string;
  stop(): Promise<void>;
}

export async function startRig(engine: TestEngine = "pglite"): Promise<Rig> {
  // Stop whatever started if a later part fails, so a broken setup leaves nothing running.
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const registry = await startRegistry();
    stops.push(registry.stop);
    const podman = await startPodman({ insecureRegistries: [registry.host] });
    stops.push(podman.stop);
    const docker = await createDockerClient({ host: podman.dockerHost });
    const npm = await startNpmStandIn();
    stops.push(npm.stop);
    const proxy = createProxyManagerClient({
      url: npm.url,
      email: npm.email,
      password: npm.password,
    });
    const handle = await openTestDatabase(engine);
    stops.push(handle.close);
    const projectId = await seedProject(handle, registry.url);
    return { registry, podman, docker, npm, proxy, handle, projectId, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function seedProject(handle: DatabaseHandle, registryUrl: string): Promise<string> {
  const [registryRow] = await handle.db
    .insert(registries)
    .values({ name: "local", type: "oci", url: registryUrl })
    .returning();
  const [project] = await handle.db
    .insert(projects)
    .values({ slug: "shop", name: "Shop", registryId: registryRow!.id, repository: "acme/shop" })
    .returning();
  await handle.db
    .insert(settings)
    .values({
      id: 1,
      baseDomain: "example.test",
      reachMode: "host_port",
      hostAddress: "127.0.0.1",
      healthTimeoutSeconds: 5,
      deployConcurrency: 4,
    })
    .onConflictDoNothing();
  return project!.id;
}

export async function addStage(
  rig: Rig,
  values: Partial<typeof stages.$inferInsert> & { name: string },
): Promise<typeof stages.$inferSelect> {
  const [stage] = await rig.handle.db
    .insert(stages)
    .values({
      projectId: rig.projectId,
      policy: { kind: "newest" },
      containerPort: 8080,
      healthCheck: HEALTH,
      restartPolicy: "no",
      autoDeploy: true,
      ...values,
    })
    .returning();
  return stage!;
}

export async function updateSettingsRow(
  rig: Rig,
  values: Partial<typeof settings.$inferInsert>,
): Promise<void> {
  await rig.handle.db.update(settings).set(values).where(eq(settings.id, 1));
}

const COMMANDS: Record<"good" | "broken" | "crashing" | "flapping", string[] | undefined> = {
  good: undefined,
  broken: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp"],
  crashing: ["/bin/busybox", "false"],
  flapping: ["/bin/busybox", "sh", "-c", "/bin/busybox sleep 0.2; exit 3"],
};

/**
 * Pushes `acme/shop:<tag>`. `broken` images serve no `/health`, `crashing` ones exit at once,
 * and `flapping` ones exit with code 3 after 0.2 s.
 */
export async function pushShop(
  rig: Rig,
  tag: string,
  kind: keyof typeof COMMANDS = "good",
): Promise<string> {
  const cmd = COMMANDS[kind];
  const { digest } = await pushTestImage({
    registry: rig.registry.host,
    repository: "acme/shop",
    tag,
    content: `shop ${tag}`,
    ...(cmd ? { cmd } : {}),
  });
  return digest;
}

export function makeWorker(rig: Rig, options: Partial<DeployWorkerOptions> = {}): DeployWorker {
  return createDeployWorker({
    db: rig.handle.db,
    docker: rig.docker,
    proxy: rig.proxy,
    logger: pino({ level: "silent" }),
    decryptSecret,
    stabilityMs: 500,
    stopTimeoutSeconds: 1,
    pollIntervalMs: 100,
    ...options,
  });
}

/** GETs `path` from an instance's published port and returns the status and body. */
export async function request(
  port: number | null,
  path = "/",
): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    signal: AbortSignal.timeout(2000),
  });
  return { status: response.status, body: await response.text() };
}
