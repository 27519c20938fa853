import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";

/** The repository and tags pushed for the tests; the semver policy picks `1.2.0`. */
export const TEST_REPOSITORY = "acme/shop";
export const TEST_TAGS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0-rc.1", "latest", "dev-abc123"];

/** Starts Debian's docker-registry on loopback and pushes one small image per test tag. */
export async function startTestRegistry(): Promise<TestRegistry> {
  const registry = await startRegistry();
  try {
    for (const tag of TEST_TAGS) {
      await pushTestImage({
        registry: registry.host,
        repository: TEST_REPOSITORY,
        tag,
        content: tag,
      });
    }
  } catch (error) {
    await registry.stop();
    throw error;
  }
  return registry;
}
