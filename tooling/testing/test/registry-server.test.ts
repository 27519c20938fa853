import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deleteTestTag, MEDIA_TYPES, pushTestImage } from "../src/images.js";
import { startRegistry, type TestRegistry } from "../src/registry-server.js";

const ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.dockerManifest,
].join(", ");

async function headManifest(registry: TestRegistry, repository: string, tag: string, token = "") {
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: ACCEPT, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return {
    status: response.status,
    digest: response.headers.get("docker-content-digest"),
    mediaType: response.headers.get("content-type"),
  };
}

describe("test registry without auth", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry.stop();
  });

  test.each([
    ["oci", MEDIA_TYPES.ociManifest],
    ["docker", MEDIA_TYPES.dockerManifest],
    ["index", MEDIA_TYPES.ociIndex],
  ] as const)("pushes %s image", async (format, mediaType) => {
    const { digest } = await pushTestImage({
      registry: registry.host,
      repository: `acme/${format}`,
      tag: "1.0.0",
      format,
    });

    const head = await headManifest(registry, `acme/${format}`, "1.0.0");
    expect(head.status).toBe(200);
    expect(head.digest).toBe(digest);
    expect(head.mediaType).toBe(mediaType);
  });

  test("content gives distinct digests", async () => {
    const base = { registry: registry.host, repository: "acme/app", tag: "latest" };
    const first = await pushTestImage({ ...base, content: "one" });
    const same = await pushTestImage({ ...base, content: "one" });
    const second = await pushTestImage({ ...base, content: "two" });

    expect(same.digest).toBe(first.digest);
    expect(second.digest).not.toBe(first.digest);
    expect((await headManifest(registry, "acme/app", "latest")).digest).toBe(second.digest);
  });

  test("deleteTestTag removes tag", async () => {
    await pushTestImage({ registry: registry.host, repository: "acme/gone", tag: "1" });
    await deleteTestTag(registry.host, "acme/gone", "1");

    expect((await headManifest(registry, "acme/gone", "1")).status).toBe(404);
  });
});

describe("test registry with token auth", () => {
  const credentials = { username: "ci", password: "s3cret" };
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ tokenAuth: credentials });
  });
  afterAll(async () => {
    await registry.stop();
  });

  test("anonymous request gets bearer challenge", async () => {
    const response = await fetch(`${registry.url}/v2/`);

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain(`realm="${registry.token?.realm}"`);
  });

  test("push with credentials then pull with token", async () => {
    const { digest } = await pushTestImage({
      registry: registry.host,
      repository: "acme/private",
      tag: "2.0.0",
      ...credentials,
    });

    const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
    const tokenResponse = await fetch(
      `${registry.token?.realm}?service=berth-test-registry&scope=repository:acme/private:pull`,
      { headers: { authorization: `Basic ${basic}` } },
    );
    const { token } = (await tokenResponse.json()) as { token: string };
    const head = await headManifest(registry, "acme/private", "2.0.0", token);
    expect(head.status).toBe(200);
    expect(head.digest).toBe(digest);
  });

  test("wrong password is rejected", async () => {
    await expect(
      pushTestImage({
        registry: registry.host,
        repository: "acme/private",
        tag: "x",
        username: "ci",
        password: "wrong",
      }),
    ).rejects.toThrow(/401/);
  });
});
