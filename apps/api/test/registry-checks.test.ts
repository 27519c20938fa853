import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { createSecrets } from "@berth/store";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resourceRoutes } from "../src/resources/index.js";
import { authApp, login } from "./auth-helpers.js";
import { errorOf, json, seedUser, useDatabase } from "./helpers.js";

const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);
const REPOSITORY = "acme/app";

type Check = { ok: boolean; message: string };
type Tags = { repository: string; tags: Array<{ name: string; createdAt: string | null }> };

describe("registry tags and access checks against docker-registry", () => {
  const database = useDatabase("pglite");
  let registry: TestRegistry;
  let stoppedUrl: string;

  beforeAll(async () => {
    registry = await startRegistry();
    for (const tag of ["1.0.0", "1.1.0"]) {
      await pushTestImage({ registry: registry.host, repository: REPOSITORY, tag, content: tag });
    }
    const stopped = await startRegistry();
    stoppedUrl = stopped.url;
    await stopped.stop();
  }, 120_000);

  afterAll(async () => {
    await registry?.stop();
  });

  async function setup(
    role: "admin" | "operator" | "viewer" = "admin",
    registryTimeoutSeconds?: number,
  ) {
    const handle = database();
    await handle.db.execute("truncate registries cascade");
    await seedUser(handle, "root", "admin");
    if (role !== "admin") await seedUser(handle, role, role);
    const app = authApp(handle.db);
    app.route("/api/v1", resourceRoutes({ db: handle.db, secrets, registryTimeoutSeconds }));
    const admin = await login(app, "root");
    const cookie = role === "admin" ? admin : await login(app, role);
    const call = (method: string, path: string, as = cookie) =>
      app.request(`/api/v1${path}`, { method, headers: { cookie: as } });
    const add = async (name: string, url: string) => {
      const response = await app.request("/api/v1/registries", {
        method: "POST",
        headers: { cookie: admin, "content-type": "application/json" },
        body: JSON.stringify({ name, type: "oci", url, username: "ci", token: "s3cret-token" }),
      });
      return (await json<{ registry: { id: string } }>(response)).registry.id;
    };
    return { app, call, add };
  }

  test("viewer lists repository tags", async () => {
    const { call, add } = await setup("viewer");
    const id = await add("local", registry.url);

    const response = await call("GET", `/registries/${id}/tags?repository=${REPOSITORY}`);

    expect(response.status).toBe(200);
    const body = await json<Tags>(response);
    expect(body.repository).toBe(REPOSITORY);
    expect(body.tags.map((tag) => tag.name).sort()).toEqual(["1.0.0", "1.1.0"]);
  });

  test("unknown repository answers 404", async () => {
    const { call, add } = await setup();
    const id = await add("local", registry.url);

    const response = await call("GET", `/registries/${id}/tags?repository=acme/none`);

    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.message).toContain("acme/none");
    expect(error.message).toContain("local");
  });

  test("stopped registry answers 502", async () => {
    const { call, add } = await setup();
    const id = await add("gone", stoppedUrl);

    const response = await call("GET", `/registries/${id}/tags?repository=${REPOSITORY}`);

    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).toContain("gone");
    expect(text).not.toContain("s3cret-token");
  });

  test("invalid repository answers 422", async () => {
    const { call, add } = await setup();
    const id = await add("local", registry.url);

    for (const query of ["", "?repository=Acme/App!"]) {
      const response = await call("GET", `/registries/${id}/tags${query}`);
      expect(response.status).toBe(422);
      const error = await errorOf(response);
      expect(error.details?.issues?.[0]?.path).toBe("repository");
    }
  });

  test("unknown registry id answers 404", async () => {
    const { call } = await setup();
    const missing = "4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60";

    expect((await call("GET", `/registries/${missing}/tags?repository=a/b`)).status).toBe(404);
    expect((await call("POST", `/registries/${missing}/test`)).status).toBe(404);
  });

  test("no session answers 401", async () => {
    const { call, add } = await setup();
    const id = await add("local", registry.url);

    expect((await call("GET", `/registries/${id}/tags?repository=a/b`, "")).status).toBe(401);
    expect((await call("POST", `/registries/${id}/test`, "")).status).toBe(401);
  });

  test("viewer check answers 403", async () => {
    const { call, add } = await setup("viewer");
    const id = await add("local", registry.url);

    expect((await call("POST", `/registries/${id}/test`)).status).toBe(403);
  });

  test("operator check reports ok", async () => {
    const { call, add } = await setup("operator");
    const id = await add("local", registry.url);

    const response = await call("POST", `/registries/${id}/test`);

    expect(response.status).toBe(200);
    expect((await json<Check>(response)).ok).toBe(true);
  });

  test("stopped registry check reports failure", async () => {
    const { call, add } = await setup("operator");
    const id = await add("gone", stoppedUrl);

    const response = await call("POST", `/registries/${id}/test`);

    expect(response.status).toBe(200);
    const body = await json<Check>(response);
    expect(body.ok).toBe(false);
    expect(body.message).toContain("gone");
    expect(body.message).not.toContain("s3cret-token");
  });

  test("stalled registry check names the timeout setting", async () => {
    const stalled = await startStalledServer();
    try {
      const { call, add } = await setup("operator", 1);
      const id = await add("slow", stalled.url);

      const response = await call("POST", `/registries/${id}/test`);

      expect(response.status).toBe(200);
      const body = await json<Check>(response);
      expect(body.ok).toBe(false);
      expect(body.message).toContain("registry slow did not respond to GET /v2/ within 1000 ms");
      expect(body.message).toMatch(/with BERTH_REGISTRY_TIMEOUT_SECONDS \(now 1\)$/);
    } finally {
      await stalled.stop();
    }
  });

  test("stalled registry tags answer 502 naming the setting", async () => {
    const stalled = await startStalledServer();
    try {
      const { call, add } = await setup("viewer", 1);
      const id = await add("slow", stalled.url);

      const response = await call("GET", `/registries/${id}/tags?repository=${REPOSITORY}`);

      expect(response.status).toBe(502);
      const error = await errorOf(response);
      expect(error.message).toContain("within 1000 ms");
      expect(error.message).toContain("BERTH_REGISTRY_TIMEOUT_SECONDS (now 1)");
    } finally {
      await stalled.stop();
    }
  });
});

/** A TCP server on 127.0.0.1 that accepts connections and never responds, like a hung registry. */
async function startStalledServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
