import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDockerClient } from "../src/docker/client.js";

// An engine reached over TCP with TLS, replaced by an HTTPS server on 127.0.0.1 that
// responds to the two calls below the way the Engine API does.
let server: Server;
let ca: string;
let folder: string;
const paths: string[] = [];

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "berth-docker-tls-"));
  const keyPath = path.join(folder, "key.pem");
  const certPath = path.join(folder, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  ca = await readFile(certPath, "utf8");
  server = createServer({ key: await readFile(keyPath), cert: ca }, (request, response) => {
    paths.push(request.url ?? "");
    if (request.url === "/_ping") {
      response.writeHead(200, { "Api-Version": "1.44" }).end("OK");
      return;
    }
    response.writeHead(200, { "Content-Type": "application/json" }).end("[]");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await rm(folder, { recursive: true, force: true });
});

describe("docker client over TCP with TLS", () => {
  test("negotiates the version and lists containers", async () => {
    const port = (server.address() as AddressInfo).port;
    const docker = await createDockerClient({ host: `tcp://127.0.0.1:${port}`, tls: { ca } });

    const containers = await docker.listContainers({ "berth.managed": "true" });

    expect(docker.apiVersion).toBe("1.44");
    expect(containers).toEqual([]);
    expect(paths.at(-1)).toMatch(/^\/v1\.44\/containers\/json\?all=true&filters=/);
  });

  test("untrusted certificate fails the connection", async () => {
    const port = (server.address() as AddressInfo).port;

    await expect(createDockerClient({ host: `tcp://127.0.0.1:${port}`, tls: {} })).rejects.toThrow(
      /docker ping failed: .*certificate/,
    );
  });
});
