import {
  type GiteaStandIn,
  type GiteaStandInOptions,
  pushTestImage,
  startGiteaStandIn,
  startRegistry,
  type TestRegistry,
} from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type CreateRegistryOptions,
  createRegistry,
  createTagFilter,
  isRegistryError,
  type Registry,
} from "../src/index.js";
import { registryBehaviourSuite, type SuiteTarget } from "./support/behaviour-suite.js";

const credentials = { username: "ci", password: "pull-secret" };

/** Sets up one docker-registry and one client for a describe block. */
function withDockerRegistry(
  clientOptions: (server: TestRegistry) => CreateRegistryOptions,
  setup: {
    tokenAuth?: boolean;
    name?: (repository: string) => string;
    pushName?: (repository: string) => string;
  } = {},
): () => SuiteTarget {
  let server: TestRegistry;
  let registry: Registry;
  beforeAll(async () => {
    server = await startRegistry(setup.tokenAuth ? { tokenAuth: credentials } : {});
    registry = createRegistry(clientOptions(server));
  });
  afterAll(async () => {
    await registry?.close();
    await server?.stop();
  });

  return () => ({
    registry,
    name: setup.name ?? ((repository) => repository),
    async push(repository, tag, options = {}) {
      const { digest } = await pushTestImage({
        registry: server.host,
        repository: setup.pushName ? setup.pushName(repository) : repository,
        tag,
        content: options.content ?? `${repository}:${tag}`,
        ...(options.format ? { format: options.format } : {}),
        ...(setup.tokenAuth ? credentials : {}),
      });
      return digest;
    },
  });
}

const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";
const DOCKER_TYPE = "application/vnd.docker.distribution.manifest.v2+json";

/** Sets up one Gitea stand-in and one client for a describe block. */
function withGiteaStandIn(
  type: "gitea" | "forgejo",
  standInOptions: GiteaStandInOptions,
  useToken: boolean,
): () => SuiteTarget {
  let standIn: GiteaStandIn;
  let registry: Registry;
  beforeAll(async () => {
    standIn = await startGiteaStandIn({ ...standInOptions, username: "ci", token: "gitea-token" });
    registry = createRegistry({
      type,
      url: standIn.url,
      pageSize: 2,
      ...(useToken ? { username: "ci", token: "gitea-token" } : {}),
    });
  });
  afterAll(async () => {
    await registry?.close();
    await standIn?.stop();
  });

  return () => ({
    registry,
    name: (repository) => repository,
    async push(repository, tag, options = {}) {
      const mediaType =
        options.format === "index"
          ? INDEX_TYPE
          : options.format === "docker"
            ? DOCKER_TYPE
            : undefined;
      const { digest } = standIn.addTag(repository, tag, {
        content: options.content ?? `${repository}:${tag}`,
        ...(mediaType ? { mediaType } : {}),
      });
      return digest;
    },
  });
}

describe("oci client on docker-registry", () => {
  registryBehaviourSuite(
    withDockerRegistry((server) => ({ type: "oci", url: server.url, pageSize: 2 })),
  );
});

describe("oci client with token auth", () => {
  registryBehaviourSuite(
    withDockerRegistry(
      (server) => ({
        type: "oci",
        url: server.url,
        pageSize: 2,
        username: credentials.username,
        token: credentials.password,
      }),
      { tokenAuth: true },
    ),
  );
});

describe("dockerhub client on docker-registry", () => {
  registryBehaviourSuite(
    withDockerRegistry((server) => ({ type: "dockerhub", url: server.url, pageSize: 3 }), {
      name: (repository) => repository.toUpperCase(),
    }),
  );
});

describe("ghcr client on docker-registry", () => {
  registryBehaviourSuite(
    withDockerRegistry((server) => ({ type: "ghcr", url: server.url, pageSize: 2 }), {
      name: (repository) => repository.replace(/^suite/, "Suite"),
    }),
  );
});

describe("gitea client on stand-in", () => {
  registryBehaviourSuite(withGiteaStandIn("gitea", {}, true));
});

describe("forgejo client on stand-in without version list", () => {
  registryBehaviourSuite(withGiteaStandIn("forgejo", { versionList: false }, true));
});

describe("gitea client without token", () => {
  registryBehaviourSuite(withGiteaStandIn("gitea", { challenge: "legacy" }, false));
});

describe("docker hub naming", () => {
  let server: TestRegistry;
  let registry: Registry;
  beforeAll(async () => {
    server = await startRegistry();
    registry = createRegistry({ type: "dockerhub", url: server.url });
  });
  afterAll(async () => {
    await registry?.close();
    await server?.stop();
  });

  test("one-part name reads library/", async () => {
    const { digest } = await pushTestImage({
      registry: server.host,
      repository: "library/busybox",
      tag: "1.36",
    });

    expect(await registry.getDigest("busybox", "1.36")).toBe(digest);
    expect((await registry.listTags("BusyBox")).map((tag) => tag.name)).toEqual(["1.36"]);
  });
});

describe("token auth details", () => {
  let server: TestRegistry;
  beforeAll(async () => {
    server = await startRegistry({ tokenAuth: credentials });
    await pushTestImage({
      registry: server.host,
      repository: "acme/app",
      tag: "1.0.0",
      ...credentials,
    });
    await pushTestImage({
      registry: server.host,
      repository: "acme/other",
      tag: "1.0.0",
      ...credentials,
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("caches one token per scope", async () => {
    const registry = createRegistry({
      type: "oci",
      url: server.url,
      username: credentials.username,
      token: credentials.password,
    });
    const before = server.token?.requestCount() ?? 0;

    for (let round = 0; round < 5; round += 1) {
      await registry.getDigest("acme/app", "1.0.0");
      await registry.listTags("acme/other");
    }
    await registry.close();

    expect((server.token?.requestCount() ?? 0) - before).toBe(2);
  });

  test("dockerhub client uses the token flow", async () => {
    const { digest } = await pushTestImage({
      registry: server.host,
      repository: "library/nginx",
      tag: "1.27",
      ...credentials,
    });
    const registry = createRegistry({
      type: "dockerhub",
      url: server.url,
      username: credentials.username,
      token: credentials.password,
    });

    const resolved = await registry.getDigest("nginx", "1.27");
    await registry.close();

    expect(resolved).toBe(digest);
  });

  test("anonymous client is unauthorized", async () => {
    const registry = createRegistry({ type: "oci", url: server.url });

    const error = await registry.listTags("acme/app").catch((caught: unknown) => caught);
    await registry.close();

    expect(isRegistryError(error, "unauthorized")).toBe(true);
  });

  test("wrong password fails access check", async () => {
    const registry = createRegistry({
      type: "oci",
      url: server.url,
      username: credentials.username,
      token: "wrong-password",
    });

    const result = await registry.checkAccess();
    await registry.close();

    expect(result.ok).toBe(false);
    const error = result.ok ? undefined : result.error;
    expect(error?.kind).toBe("unauthorized");
    expect(error?.message).not.toContain("wrong-password");
    expect(error?.message).toContain("check the username and token");
  });
});

describe("gitea packages api", () => {
  let standIn: GiteaStandIn;
  let registry: Registry;
  beforeAll(async () => {
    standIn = await startGiteaStandIn({ username: "ci", token: "gitea-token" });
    registry = createRegistry({
      type: "gitea",
      url: standIn.url,
      username: "ci",
      token: "gitea-token",
    });
  });
  afterAll(async () => {
    await registry?.close();
    await standIn?.stop();
  });

  test("drops digest-only versions", async () => {
    standIn.addTag("acme/web", "1.0.0");
    standIn.addDigestOnly("acme/web");
    standIn.addDigestOnly("acme/web");

    const tags = await registry.listTags("acme/web");

    expect(tags.map((tag) => tag.name)).toEqual(["1.0.0"]);
  });

  test("reports creation times", async () => {
    const createdAt = new Date("2026-03-01T12:00:00Z");
    standIn.addTag("acme/dated", "1.0.0", { createdAt });

    const [tag] = await registry.listTags("acme/dated");

    expect(tag?.createdAt?.toISOString()).toBe(createdAt.toISOString());
  });

  test("pages past fifty versions", async () => {
    const expected: string[] = [];
    for (let index = 0; index < 120; index += 1) {
      standIn.addTag("acme/many", `1.0.${index}`);
      expected.push(`1.0.${index}`);
    }

    const tags = await registry.listTags("acme/many");

    expect(tags.map((tag) => tag.name).sort()).toEqual(expected.sort());
  });

  test("nested image path", async () => {
    const { digest } = standIn.addTag("acme/tools/el9/app", "1.0");

    expect((await registry.listTags("acme/tools/el9/app")).map((tag) => tag.name)).toEqual(["1.0"]);
    expect(await registry.getDigest("acme/tools/el9/app", "1.0")).toBe(digest);
  });

  test("newest policy uses creation times", async () => {
    standIn.addTag("acme/newest", "b-build", { createdAt: new Date("2026-02-01T00:00:00Z") });
    standIn.addTag("acme/newest", "a-build", { createdAt: new Date("2026-03-01T00:00:00Z") });

    const selection = await registry.getLatestTag("acme/newest", { policy: { kind: "newest" } });

    expect(selection.selected).toBe("a-build");
  });
});

describe("gitea without version list", () => {
  let standIn: GiteaStandIn;
  let registry: Registry;
  beforeAll(async () => {
    standIn = await startGiteaStandIn({ username: "ci", token: "gitea-token", versionList: false });
    registry = createRegistry({
      type: "gitea",
      url: standIn.url,
      username: "ci",
      token: "gitea-token",
    });
  });
  afterAll(async () => {
    await registry?.close();
    await standIn?.stop();
  });

  test("search keeps exact names only", async () => {
    standIn.addTag("acme/app", "1.0.0");
    standIn.addTag("acme/myapp-worker", "9.9.9");
    standIn.addTag("acme/app-cli", "8.8.8");

    const tags = await registry.listTags("acme/app");

    expect(tags.map((tag) => tag.name)).toEqual(["1.0.0"]);
  });

  test("asks for the version list once", async () => {
    standIn.addTag("acme/once", "1.0.0");
    await registry.listTags("acme/once");
    await registry.listTags("acme/once");

    const listCalls = standIn.requests().filter((line) => line.includes("/container/acme"));
    expect(listCalls.length).toBeLessThanOrEqual(1);
  });
});

describe("gitea with a bad token", () => {
  let standIn: GiteaStandIn;
  beforeAll(async () => {
    standIn = await startGiteaStandIn({ username: "ci", token: "gitea-token" });
    standIn.addTag("acme/app", "1.0.0");
  });
  afterAll(async () => {
    await standIn?.stop();
  });

  test("listing is unauthorized", async () => {
    const registry = createRegistry({
      type: "gitea",
      url: standIn.url,
      username: "ci",
      token: "bad",
    });

    const error = await registry.listTags("acme/app").catch((caught: unknown) => caught);
    await registry.close();

    expect(isRegistryError(error, "unauthorized")).toBe(true);
    expect((error as Error).message).not.toContain("bad");
  });

  test("sign-in required rejects anonymous pulls", async () => {
    const closed = await startGiteaStandIn({ requireSignIn: true });
    closed.addTag("acme/app", "1.0.0");
    const registry = createRegistry({ type: "gitea", url: closed.url });

    const error = await registry.listTags("acme/app").catch((caught: unknown) => caught);
    await registry.close();
    await closed.stop();

    expect(isRegistryError(error, "unauthorized")).toBe(true);
  });

  test("one-part name is rejected", async () => {
    const registry = createRegistry({ type: "gitea", url: standIn.url, token: "gitea-token" });

    const error = await registry.listTags("app").catch((caught: unknown) => caught);
    await registry.close();

    expect((error as Error).message).toBe(
      "app is not a Gitea image name: write it as owner/image, e.g. acme/app",
    );
  });
});

describe("newest policy on docker-registry", () => {
  let server: TestRegistry;
  beforeAll(async () => {
    server = await startRegistry();
    const push = (tag: string, created: string, format: "oci" | "index" = "oci") =>
      pushTestImage({ registry: server.host, repository: "acme/built", tag, created, format });
    await push("build-a", "2026-03-01T00:00:00Z");
    await push("build-b", "2026-02-01T00:00:00Z");
    await push("build-c", "2026-04-01T00:00:00Z", "index");
  });
  afterAll(async () => {
    await server?.stop();
  });

  test("reads creation times from image configs", async () => {
    const registry = createRegistry({ type: "oci", url: server.url });

    const selection = await registry.getLatestTag("acme/built", { policy: { kind: "newest" } });
    await registry.close();

    expect(selection.selected).toBe("build-c");
  });

  test("reads only tags that pass the filter", async () => {
    const registry = createRegistry({ type: "oci", url: server.url });

    const selection = await registry.getLatestTag("acme/built", {
      include: "build-[ab]",
      policy: { kind: "newest" },
      current: "build-b",
    });
    const requests = registry.stats().requests;
    await registry.close();

    expect(selection.selected).toBe("build-a");
    // One tag list, two tags with a manifest and a config each, one HEAD for the digest.
    expect(requests).toBe(6);
  });

  test("docker hub client spends no pulls on it", async () => {
    const registry = createRegistry({ type: "dockerhub", url: server.url });

    const selection = await registry.getLatestTag("acme/built", { policy: { kind: "newest" } });
    await registry.close();

    expect(selection.selected).toBeNull();
    expect(selection.reason).toBe(
      `no tag qualifies: no creation time (3); creation times are not read from ${server.url}, where every manifest read counts as a pull: use a semver, numeric or alphabetical policy`,
    );
    expect(registry.stats().requests).toBe(1);
  });

  test("addCreatedAt dates matching tags once", async () => {
    const registry = createRegistry({ type: "oci", url: server.url });
    const listed = await registry.listTags("acme/built");
    const filter = createTagFilter({ include: "build-c" });

    const first = await registry.addCreatedAt("acme/built", listed, { filter });
    const again = await registry.addCreatedAt("acme/built", first.tags, { filter });
    const requests = registry.stats().requests;
    await registry.close();

    const times = Object.fromEntries(
      first.tags.map((tag) => [tag.name, tag.createdAt?.toISOString()]),
    );
    expect(times).toEqual({
      "build-a": undefined,
      "build-b": undefined,
      "build-c": "2026-04-01T00:00:00.000Z",
    });
    expect(first.undated).toBeUndefined();
    expect(again.tags).toEqual(first.tags);
    // One tag list, then the index, its linux/amd64 manifest and the config of build-c.
    expect(requests).toBe(4);
  });
});
