/**
 * A second registry for fault tests: project `cart` (acme/cart) with an auto-deploy `dev`
 * stage, on its own docker-registry that Berth reaches only through a fault forwarder.
 */
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import type { ApiClient } from "./api-client.js";
import { type FaultForwarder, startFaultForwarder } from "./fault-forwarder.js";
import type { Stage } from "./setup.js";

export const CART_REPOSITORY = "acme/cart";

/** The registry named `flaky` in Berth, and the forwarder in front of it. */
export interface FlakyRegistry {
  registry: TestRegistry;
  forwarder: FaultForwarder;
  stop(): Promise<void>;
}

/** Starts a docker-registry and a forwarder in `pass` mode in front of it. */
export async function startFlakyRegistry(): Promise<FlakyRegistry> {
  const registry = await startRegistry();
  try {
    const forwarder = await startFaultForwarder(registry.url);
    return {
      registry,
      forwarder,
      async stop() {
        await forwarder.stop();
        await registry.stop();
      },
    };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}

/** Registers the forwarder as registry `flaky` and adds project `cart` with stage `dev`. */
export async function configureCart(api: ApiClient, flaky: FlakyRegistry): Promise<Stage> {
  const { registry } = await api.post<{ registry: { id: string } }>("/registries", {
    name: "flaky",
    type: "oci",
    url: flaky.forwarder.url,
  });
  const { project } = await api.post<{ project: { id: string } }>("/projects", {
    slug: "cart",
    name: "Cart",
    registryId: registry.id,
    repository: CART_REPOSITORY,
  });
  const { stage } = await api.post<{ stage: Stage }>("/stages", {
    projectId: project.id,
    name: "dev",
    tagInclude: ["dev-*"],
    policy: { kind: "alphabetical" },
    autoDeploy: true,
    containerPort: 8080,
    healthCheck: { path: "/health", expectedStatus: 200, intervalSeconds: 1, timeoutSeconds: 1 },
    restartPolicy: "no",
  });
  return stage;
}

/** Pushes `cart <tag>` straight to the registry, past the forwarder, and returns its digest. */
export async function pushCart(flaky: FlakyRegistry, tag: string): Promise<string> {
  const { digest } = await pushTestImage({
    registry: flaky.registry.host,
    repository: CART_REPOSITORY,
    tag,
    content: `cart ${tag}`,
  });
  return digest;
}
