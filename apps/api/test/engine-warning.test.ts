import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDockerClient } from "@berth/deployer";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { engineUnreachableWarning } from "../src/service/missing-docker.js";

/** Connects to `host` as `berth serve` does at start and returns the error it raises. */
async function connectError(host: string): Promise<unknown> {
  return createDockerClient({ host, timeoutMs: 1000 }).then(
    () => {
      throw new Error(`expected ${host} to fail`);
    },
    (error: unknown) => error,
  );
}

describe("engine unreachable warning", () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "berth-engine-"));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test("missing socket names ENOENT", async () => {
    const host = `unix://${path.join(folder, "no-docker.sock")}`;

    const warning = engineUnreachableWarning(host, await connectError(host));

    expect(warning.code).toBe("ENOENT");
    expect(warning.host).toBe(host);
    expect(warning.message).toContain(`Docker engine unreachable at ${host} (ENOENT)`);
    expect(warning.message).toContain("set BERTH_DOCKER_HOST");
    expect(warning.message).not.toContain("\n");
  });

  test("closed port names ECONNREFUSED", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const host = `tcp://127.0.0.1:${port}`;

    const warning = engineUnreachableWarning(host, await connectError(host));

    expect(warning.code).toBe("ECONNREFUSED");
    expect(warning.message).toContain(`at ${host} (ECONNREFUSED)`);
  });

  test("silent engine names timeout", async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const host = `tcp://127.0.0.1:${port}`;

    try {
      const warning = engineUnreachableWarning(host, await connectError(host));

      expect(warning.code).toBe("timeout");
      expect(warning.message).toContain("check that the engine runs there");
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test("unset host names the default socket", () => {
    const warning = engineUnreachableWarning(undefined, new Error("boom"));

    expect(warning.host).toBe("unix:///var/run/docker.sock");
    expect(warning.code).toBe("error");
  });
});
