import {
  createProject,
  createRegistry,
  createStage,
  type DatabaseHandle,
  openDatabase,
  updateSettings,
} from "@berth/store";
import {
  type NpmStandIn,
  pushTestImage,
  startNpmStandIn,
  startPodman,
  startRegistry,
  type TestPodman,
  type TestRegistry,
} from "@berth/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.js";
import { type Service, startService } from "../src/service/service.js";
import { seedUser, TEST_PASSWORD } from "./helpers.js";
import { secrets } from "./ops-helpers.js";

const HOOK_SECRET = "generic-hook-secret-for-e2e-01";

describe("a pushed tag deploys through the service", { timeout: 240_000 }, () => {
  let registry: TestRegistry;
  let podman: TestPodman;
  let npm: NpmStandIn;
  let handle: DatabaseHandle;
  let service: Service | undefined;

  beforeAll(async () => {
    registry = await startRegistry();
    [podman, npm, handle] = await Promise.all([
      startPodman({ insecureRegistries: [registry.host] }),
      startNpmStandIn(),
      openDatabase({ dataDir: "memory://" }),
    ]);
    await handle.migrate();
  }, 180_000);

  afterAll(async () => {
    await service?.stop(10_000);
    await handle?.close();
    await Promise.allSettled([podman?.stop(), npm?.stop(), registry?.stop()]);
  }, 120_000);

  test("webhook to succeeded deploy", async () => {
    const { db } = handle;
    const stored = await createRegistry(db, secrets, {
      name: "local",
      type: "oci",
      url: registry.url,
    });
    const project = await createProject(db, {
      slug: "shop",
      name: "Shop",
      registryId: stored.id,
      repository: "acme/shop",
    });
    const stage = await createStage(db, secrets, {
      projectId: project.id,
      name: "dev",
      policy: { kind: "semver" },
      autoDeploy: true,
      containerPort: 8080,
      healthCheck: { path: "/", expectedStatus: 200, intervalSeconds: 1, timeoutSeconds: 2 },
      restartPolicy: "no",
    });
    await updateSettings(db, secrets, {
      baseDomain: "example.test",
      reachMode: "host_port",
      hostAddress: "127.0.0.1",
      healthTimeoutSeconds: 30,
      npmUrl: npm.url,
      npmEmail: npm.email,
      npmPassword: npm.password,
      webhookSecrets: { generic: HOOK_SECRET },
    });

    const logger = pino({ level: "silent" });
    service = await startService({
      db,
      secrets,
      logger,
      dockerHost: podman.dockerHost,
      worker: { pollIntervalMs: 200 },
    });
    const app = createApp({
      database: handle,
      secrets,
      logger,
      version: "0.0.0-test",
      onPush: service.onPush,
      hub: service.hub,
      docker: service.docker,
      wake: () => service?.worker.wake(),
    });
    await seedUser(handle, "admin", "admin");
    const login = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: TEST_PASSWORD }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

    // The first poll records what exists; the push after it is the one to deploy.
    await pushTestImage({ registry: registry.host, repository: "acme/shop", tag: "1.0.0" });
    await service.poller.pollNow(stage.id);
    await pushTestImage({ registry: registry.host, repository: "acme/shop", tag: "1.1.0" });
    const hook = await app.request(`/api/v1/hooks/generic/${HOOK_SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image: `${registry.host}/acme/shop:1.1.0` }),
    });
    expect(hook.status).toBe(202);

    const deployId = await waitForDeploy(app, cookie);
    const stream = await app.request(`/api/v1/deploys/${deployId}/logs`, { headers: { cookie } });
    const text = await readUntilEnd(stream);

    expect(text).toContain("event: end");
    expect(text).toContain('"status":"succeeded"');
    expect(npm.proxyHosts().flatMap((host) => host.domain_names)).toContain(
      "dev-shop.example.test",
    );
  });
});

type App = ReturnType<typeof createApp>;

/** Waits (at most 60 s) until the webhook's check has made a deploy, and returns its id. */
async function waitForDeploy(app: App, cookie: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await app.request("/api/v1/deploys", { headers: { cookie } });
    const { deploys } = (await response.json()) as { deploys: Array<{ id: string }> };
    if (deploys[0]) {
      return deploys[0].id;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("no deploy was made within 60 s of the webhook");
}

/** Reads the log stream until its `end` event, for at most 120 s. */
async function readUntilEnd(response: Response): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 120_000;
  let text = "";
  try {
    while (!text.includes("event: end") && Date.now() < deadline) {
      const chunk = await reader.read();
      if (chunk.done) {
        break;
      }
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel();
  }
  return text;
}
