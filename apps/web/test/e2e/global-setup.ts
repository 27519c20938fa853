import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startPodman } from "@berth/testing";
import { ADMIN, startBerthServer } from "./support/berth-server.js";
import { startTestRegistry } from "./support/registry.js";

const BUILD_DIR = fileURLToPath(new URL("../../build/", import.meta.url));

/** Fails at once when the server does not return the dashboard page for a client route. */
async function checkDashboard(url: string): Promise<void> {
  const response = await fetch(`${url}/deploys`);
  const page = await response.text();
  if (!response.ok || !page.includes("/_app/")) {
    throw new Error(
      `${url}/deploys returned HTTP ${response.status} without the dashboard page: berth serve must serve ${BUILD_DIR}`,
    );
  }
}

/**
 * Fails at once, naming the cause, when the server did not create the first admin from
 * `BERTH_ADMIN_PASSWORD`: every flow signs in first and would otherwise time out one by one.
 */
async function checkAdminSignIn(url: string): Promise<void> {
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(ADMIN),
  });
  if (!response.ok) {
    throw new Error(
      `signing in as ${ADMIN.username} with BERTH_ADMIN_PASSWORD failed with HTTP ${response.status} (${await response.text()}): berth serve must create the first admin from BERTH_ADMIN_PASSWORD at start`,
    );
  }
}

/**
 * Starts what the browser tests need: a registry with tagged test images, podman as the
 * container engine, and the real Berth server, which deploys through podman and serves the
 * static build. Returns the teardown that stops all of them.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(`${BUILD_DIR}index.html`)) {
    throw new Error(
      `${BUILD_DIR}index.html is missing: run \`pnpm --filter @berth/web build\` first`,
    );
  }
  const registry = await startTestRegistry();
  const podman = await startPodman({ insecureRegistries: [registry.host] }).catch(
    async (error: unknown) => {
      await registry.stop();
      throw error;
    },
  );
  const stopEngines = async () => {
    await podman.stop();
    await registry.stop();
  };
  const berth = await startBerthServer({ BERTH_DOCKER_HOST: podman.dockerHost }).catch(
    async (error: unknown) => {
      await stopEngines();
      throw error;
    },
  );
  try {
    await checkDashboard(berth.url);
    await checkAdminSignIn(berth.url);
  } catch (error) {
    await berth.stop();
    await stopEngines();
    throw error;
  }

  process.env.BERTH_WEB_URL = berth.url;
  process.env.BERTH_TEST_REGISTRY_URL = registry.url;

  return async () => {
    await berth.stop();
    await stopEngines();
  };
}
