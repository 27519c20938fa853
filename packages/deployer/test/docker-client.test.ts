import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  pushTestImage,
  startPodman,
  startRegistry,
  type TestPodman,
  type TestRegistry,
} from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDockerClient } from "../src/docker/client.js";
import { negotiateApiVersion, parseDockerHost } from "../src/docker/connection.js";
import type { DockerClient } from "../src/docker/types.js";
import { DockerError } from "../src/errors.js";

let registry: TestRegistry;
let podman: TestPodman;
let docker: DockerClient;
let digest: string;

beforeAll(async () => {
  registry = await startRegistry();
  podman = await startPodman({ insecureRegistries: [registry.host] });
  docker = await createDockerClient({ host: podman.dockerHost });
  ({ digest } = await pushTestImage({
    registry: registry.host,
    repository: "acme/app",
    tag: "1.0",
  }));
});

afterAll(async () => {
  await podman?.stop();
  await registry?.stop();
});

describe("docker client against podman", () => {
  test("negotiates podman's API version", () => {
    expect(docker.apiVersion).toBe("1.41");
  });

  test("pulls by tag and reports the digest", async () => {
    const result = await docker.pull(`${registry.host}/acme/app`, "1.0");

    expect(result.digest).toBe(digest);
    const image = await docker.inspectImage(`${registry.host}/acme/app@${digest}`);
    expect(image?.exposedPorts).toEqual(["8080/tcp"]);
    expect(image?.healthcheck).toBeNull();
  });

  test("pull of a missing tag fails with the engine's message", async () => {
    const error = await docker.pull(`${registry.host}/acme/app`, "9.9").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DockerError);
    expect((error as DockerError).message).toMatch(/acme\/app:9\.9/);
    expect((error as DockerError).message).toMatch(/manifest unknown|not found/i);
  });

  test("runs a container reachable on a port published on 127.0.0.1", async () => {
    const image = `${registry.host}/acme/app@${digest}`;
    await docker.pull(`${registry.host}/acme/app`, digest);
    const id = await docker.createContainer({
      name: "client-test-web",
      image,
      env: ["GREETING=hello"],
      labels: { "berth.project": "client-test" },
      binds: [],
      restartPolicy: "no",
      containerPort: 8080,
      publishOn: "127.0.0.1",
    });
    await docker.startContainer(id);

    const state = await docker.inspectContainer(id);
    const published = state?.ports["8080/tcp"];
    expect(state?.running).toBe(true);
    expect(state?.health).toBeNull();
    expect(published?.hostIp).toBe("127.0.0.1");
    expect(await statusWhenUp(`http://127.0.0.1:${published?.hostPort}/health`)).toBe(200);

    const listed = await docker.listContainers({ "berth.project": "client-test" });
    expect(listed.map((row) => row.name)).toEqual(["client-test-web"]);

    await docker.stopContainer(id, 1);
    await docker.stopContainer(id, 1);
    await docker.removeContainer(id);
    await docker.waitForRemoval(id, 5000);
    expect(await docker.inspectContainer(id)).toBeNull();
  });

  test("second container with a taken name is a conflict", async () => {
    const spec = {
      name: "client-test-taken",
      image: `${registry.host}/acme/app@${digest}`,
      env: [],
      labels: {},
      binds: [],
      restartPolicy: "no" as const,
    };
    await docker.pull(`${registry.host}/acme/app`, digest);
    const first = await docker.createContainer(spec);

    const error = await docker.createContainer(spec).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DockerError);
    expect((error as DockerError).conflict).toBe(true);
    expect((error as DockerError).message).toMatch(/client-test-taken/);
    await docker.removeContainer(first);
  });

  test("joins a network with an alias", async () => {
    await docker.ensureNetwork("berth-client-test");
    await docker.ensureNetwork("berth-client-test");
    const id = await docker.createContainer({
      name: "client-test-networked",
      image: `${registry.host}/acme/app@${digest}`,
      env: [],
      labels: {},
      binds: [],
      restartPolicy: "no",
      network: { name: "berth-client-test", aliases: ["web-alias"] },
    });

    const listed = await docker.listContainers({});
    expect(listed.map((row) => row.id)).toContain(id);
    await docker.removeContainer(id);
  });
});

describe("docker client against a stand-in engine", () => {
  let server: Server;
  let requests: Array<{ url: string; auth: string | undefined }>;

  beforeAll(async () => {
    requests = [];
    server = createServer((request, response) => {
      requests.push({ url: request.url ?? "", auth: request.headers["x-registry-auth"] as string });
      if (request.url === "/_ping") {
        response.writeHead(200, { "Api-Version": "1.52" }).end("OK");
        return;
      }
      // Engine behaviour for a rate-limited pull: 200, progress, then an error line, with
      // lines split across writes.
      response.writeHead(200, { "Content-Type": "application/json" });
      response.write('{"status":"Pulling from acme/app","id":"1.4.0"}\n{"status":"Downl');
      response.write('oading"}\n{"errorDetail":{"message":"toomanyrequests: slow down"},');
      response.end('"error":"toomanyrequests: slow down"}\n');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test("error inside a 200 pull stream is a failure", async () => {
    const port = (server.address() as AddressInfo).port;
    const client = await createDockerClient({ host: `tcp://127.0.0.1:${port}` });

    const error = await client
      .pull("registry.example.test:5000/acme/app", "1.4.0", {
        username: "ci",
        password: "secret",
        serverAddress: "registry.example.test:5000",
      })
      .catch((e: unknown) => e);

    expect(client.apiVersion).toBe("1.47");
    expect((error as DockerError).message).toMatch(/toomanyrequests: slow down/);
    const pull = requests.find((entry) => entry.url.includes("/images/create"));
    expect(pull?.url).toBe(
      "/v1.47/images/create?fromImage=registry.example.test%3A5000%2Facme%2Fapp&tag=1.4.0",
    );
    expect(pull?.auth).toMatch(/^[A-Za-z0-9_-]+=*$/);
  });
});

describe("connection settings", () => {
  test.each([
    ["unix:///var/run/docker.sock", { kind: "unix", socketPath: "/var/run/docker.sock" }],
    ["tcp://127.0.0.1:2376", { kind: "tcp", host: "127.0.0.1", port: 2376, tls: undefined }],
  ])("parses %s", (host, expected) => {
    expect(parseDockerHost(host)).toEqual(expected);
  });

  test.each(["http://127.0.0.1:2375", "unix://relative.sock", "tcp://host"])(
    "rejects host %s naming the accepted forms",
    (host) => {
      expect(() => parseDockerHost(host)).toThrow(
        `invalid Docker host "${host}": use unix:///path/to/docker.sock or tcp://host:port`,
      );
    },
  );

  test.each([
    ["1.41", "1.41"],
    ["1.44", "1.44"],
    ["1.52", "1.47"],
    [undefined, "1.24"],
  ])("daemon %s negotiates %s", (daemon, expected) => {
    expect(negotiateApiVersion(daemon)).toBe(expected);
  });
});

/** GETs `url` until httpd accepts connections (it starts just after the container), at most 5 s. */
async function statusWhenUp(url: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const status = await fetch(url).then(
      (response) => response.status,
      () => undefined,
    );
    if (status !== undefined) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} refused connections for 5 s`);
}

describe("docker client without an engine", () => {
  test("unreachable engine error names the host", async () => {
    const host = "unix:///nonexistent/berth-test/docker.sock";

    const error = await createDockerClient({ host, timeoutMs: 2000 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DockerError);
    expect((error as DockerError).message).toContain(`check that the engine runs at ${host}`);
  });
});
