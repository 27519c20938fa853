import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startBerthServer } from "./support/berth-server.js";
import { startFrontServer } from "./support/proxy.js";
import { startTestRegistry } from "./support/registry.js";

const BUILD_DIR = fileURLToPath(new URL("../../build/", import.meta.url));

/** True when the server itself returns the dashboard page for a client route. */
async function servesDashboard(url: string): Promise<boolean> {
  const response = await fetch(`${url}/deploys`);
  return response.ok && (await response.text()).includes("/_app/");
}

/**
 * Starts what the browser tests need: the real Berth server, a registry with tagged test
 * images, and, while `berth serve` does not serve the dashboard itself, a front server for
 * the static build. Returns the teardown that stops all of them.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(`${BUILD_DIR}index.html`)) {
    throw new Error(
      `${BUILD_DIR}index.html is missing: run \`pnpm --filter @berth/web build\` first`,
    );
  }
  const berth = await startBerthServer();
  const registry = await startTestRegistry().catch(async (error: unknown) => {
    await berth.stop();
    throw error;
  });
  const front = (await servesDashboard(berth.url))
    ? undefined
    : await startFrontServer(BUILD_DIR, berth.url);

  process.env.BERTH_WEB_URL = front?.url ?? berth.url;
  process.env.BERTH_TEST_REGISTRY_URL = registry.url;

  return async () => {
    await front?.close();
    await registry.stop();
    await berth.stop();
  };
}
