import {
  pushTestImage,
  startPodman,
  startRegistry,
  type TestPodman,
  type TestRegistry,
} from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDockerClient } from "../src/docker/client.js";
import type { DockerClient } from "../src/docker/types.js";

const CREDENTIALS = { username: "ci-bot", password: "s3cret+/=?" };

let registry: TestRegistry;
let podman: TestPodman;
let docker: DockerClient;
let digest: string;

beforeAll(async () => {
  registry = await startRegistry({ tokenAuth: CREDENTIALS });
  podman = await startPodman({ insecureRegistries: [registry.host] });
  docker = await createDockerClient({ host: podman.dockerHost });
  ({ digest } = await pushTestImage({
    registry: registry.host,
    repository: "acme/private",
    tag: "1.0",
    ...CREDENTIALS,
  }));
});

afterAll(async () => {
  await podman?.stop();
  await registry?.stop();
});

describe("pull from a registry with token auth", () => {
  test("credentials in X-Registry-Auth are accepted", async () => {
    const result = await docker.pull(`${registry.host}/acme/private`, "1.0", {
      ...CREDENTIALS,
      serverAddress: registry.host,
    });

    expect(result.digest).toBe(digest);
  });

  test("wrong password fails the pull with the engine's message", async () => {
    const pull = docker.pull(`${registry.host}/acme/private`, digest, {
      username: CREDENTIALS.username,
      password: "wrong",
      serverAddress: registry.host,
    });

    await expect(pull).rejects.toThrow(
      /docker pull failed: .*acme\/private.*(unauthorized|authentication|denied)/i,
    );
  });
});
