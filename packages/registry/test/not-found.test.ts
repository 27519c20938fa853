import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createRegistry, isRegistryError, type Registry, RegistryError } from "../src/index.js";

// docker-registry 2.8.2 returns an empty 404 for HEAD on a missing manifest, and
// MANIFEST_UNKNOWN for GET whether the tag or the whole repository is missing. Only the tag
// list tells the two apart, with NAME_UNKNOWN.
const ZERO_DIGEST = `sha256:${"0".repeat(64)}`;

let server: TestRegistry;
let registry: Registry;
beforeAll(async () => {
  server = await startRegistry();
  registry = createRegistry({ type: "oci", url: server.url, name: "local" });
  await pushTestImage({ registry: server.host, repository: "acme/shop", tag: "1.0.0" });
});
afterAll(async () => {
  await registry?.close();
  await server?.stop();
});

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof RegistryError)) {
    throw new Error(`expected a RegistryError, got ${String(error)}`);
  }
  return error;
}

describe("404 messages from docker-registry", () => {
  test("missing tag names the tag and the repository", async () => {
    const error = await failure(registry.getDigest("acme/shop", "dev-404"));

    expect(isRegistryError(error, "not_found")).toBe(true);
    expect(error.message).toBe(
      "registry local has no tag dev-404 in acme/shop (resolve acme/shop:dev-404, 404): check the tag was pushed to acme/shop and the repository name is right",
    );
  });

  test("missing digest names the digest", async () => {
    const error = await failure(registry.getDigest("acme/shop", ZERO_DIGEST));

    expect(error.kind).toBe("not_found");
    expect(error.message).toContain(
      `registry local has no digest ${ZERO_DIGEST} in acme/shop (resolve acme/shop:${ZERO_DIGEST}, 404)`,
    );
  });

  test("manifest in missing repository keeps the repository hint", async () => {
    const error = await failure(registry.getDigest("acme/nope", "1.0.0"));

    expect(error.kind).toBe("not_found");
    expect(error.message).toContain("registry local has no tag 1.0.0 in acme/nope");
    expect(error.message).toContain("the repository name is right");
  });

  test("tag list of missing repository names the repository", async () => {
    const error = await failure(registry.listTags("acme/nope"));

    expect(error.kind).toBe("not_found");
    expect(error.message).toBe(
      "registry local has no acme/nope (list tags, 404: NAME_UNKNOWN repository name not known to registry): check the repository name and that the image was pushed",
    );
  });
});
