import { auditLog, type DatabaseHandle, exportConfig } from "@berth/store";
import pino from "pino";
import { describe, expect, test } from "vitest";
import { createApp } from "../src/app.js";
import { hmacSha256Hex } from "../src/webhooks/signature.js";
import { ENGINES, seedUser, TEST_PASSWORD, useDatabase } from "./helpers.js";
import { secrets } from "./ops-helpers.js";

/** One distinct value per kind of secret, so a hit names the secret that leaked. */
const CONFIGURED = {
  registryToken: "registry-token-7f3a9c",
  npmPassword: "npm-password-2b8e41",
  notificationSecret: "notification-secret-c0d9e5",
  envSecret: "env-secret-value-91aa07",
};

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

/** Builds the full app with a `trace` logger whose lines the test keeps. */
function appWithCapturedLogs(handle: DatabaseHandle) {
  const logs: string[] = [];
  const destination = { write: (line: string) => logs.push(line) };
  const app = createApp({
    database: handle,
    secrets,
    logger: pino({ level: "trace" }, destination),
    version: "0.0.0-test",
  });
  return { app, logs };
}

describe.each(ENGINES)("secret scan on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("no secret leaks anywhere", async () => {
    const handle = database();
    await handle.db.execute("truncate registries cascade");
    const { app, logs } = appWithCapturedLogs(handle);
    const seen: string[] = [];
    await seedUser(handle, "admin", "admin");

    /** Sends a request as the admin and keeps the response text for the scan. */
    async function call(method: string, path: string, body?: unknown, keep = true) {
      const response = await app.request(`/api/v1${path}`, {
        method,
        headers: { cookie, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (keep) seen.push(`${method} ${path} ${response.status} ${text}`);
      return { status: response.status, text };
    }

    const signIn = await app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: TEST_PASSWORD }),
    });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

    // Every kind of secret, set through the API.
    const registry = await call("POST", "/registries", {
      name: "main",
      type: "gitea",
      url: "http://127.0.0.1:9",
      username: "ci",
      token: CONFIGURED.registryToken,
    });
    const registryId = (JSON.parse(registry.text) as { registry: { id: string } }).registry.id;
    await call("PATCH", "/settings", {
      npmUrl: "http://127.0.0.1:9",
      npmEmail: "admin@example.test",
      npmPassword: CONFIGURED.npmPassword,
      notificationUrl: "http://127.0.0.1:9/notify",
      notificationSecret: CONFIGURED.notificationSecret,
    });
    const project = await call("POST", "/projects", {
      slug: "shop",
      name: "Shop",
      registryId,
      repository: "acme/shop",
    });
    const projectId = (JSON.parse(project.text) as { project: { id: string } }).project.id;
    const stage = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "semver" },
      env: [{ key: "DATABASE_PASSWORD", value: CONFIGURED.envSecret, secret: true }],
    });
    const stageId = (JSON.parse(stage.text) as { stage: { id: string } }).stage.id;
    // The webhook secrets are shown once, in the response that creates them, so it is not scanned.
    const hook = (source: string) => call("POST", `/webhooks/${source}/secret`, undefined, false);
    const gitea = JSON.parse((await hook("gitea")).text) as { secret: string };
    const generic = JSON.parse((await hook("generic")).text) as { secret: string };

    // Flows that echo input or fail: bad changes with secrets in them, deliveries, deploys.
    await call("PATCH", `/registries/${registryId}`, {
      url: "ftp://x",
      token: CONFIGURED.registryToken,
    });
    await call("PATCH", "/settings", { npmUrl: "nope", npmPassword: CONFIGURED.npmPassword });
    await call("PATCH", `/stages/${stageId}`, {
      env: [{ key: "1BAD", value: CONFIGURED.envSecret, secret: true }],
    });
    const body = JSON.stringify({ image: "registry.example.test/acme/shop:1.0.0" });
    for (const [path, headers] of [
      ["/hooks/gitea", { "x-gitea-event": "package", "x-gitea-signature": "00" }],
      [
        "/hooks/gitea",
        {
          "x-gitea-event": "package",
          "x-gitea-signature": hmacSha256Hex(gitea.secret, new TextEncoder().encode(body)),
        },
      ],
      [`/hooks/generic/${generic.secret}`, {}],
      ["/hooks/generic/wrong-secret", {}],
    ] as const) {
      const response = await app.request(`/api/v1${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
      seen.push(`POST hook ${response.status} ${await response.text()}`);
    }
    await call("POST", `/stages/${stageId}/deploy`, { tag: "1.0.0" });

    // Every documented read, as the admin.
    const document = JSON.parse(
      (await call("GET", "/openapi.json", undefined, false)).text,
    ) as OpenApiDocument;
    for (const [path, methods] of Object.entries(document.paths)) {
      if (!("get" in methods) || path.startsWith("/events")) continue;
      const concrete = path.replace("{id}", stageId).replace("{source}", "gitea");
      await call("GET", concrete);
      if (path.includes("{id}")) {
        await call("GET", path.replace("{id}", registryId));
        await call("GET", path.replace("{id}", projectId));
      }
    }

    const audit = JSON.stringify(await handle.db.select().from(auditLog));
    const exported = await exportConfig(handle.db);
    const places = { responses: seen.join("\n"), logs: logs.join(""), audit, exported };
    const values = { ...CONFIGURED, giteaWebhook: gitea.secret, genericWebhook: generic.secret };
    const leaks = Object.entries(places).flatMap(([place, text]) =>
      Object.entries(values)
        .filter(([, value]) => text.includes(value))
        .map(([name]) => `${name} in ${place}`),
    );

    expect(leaks).toEqual([]);
    expect(registry.status).toBe(201);
    expect(seen.find((line) => line.startsWith("PATCH /settings"))).toMatch(
      /^PATCH \/settings 200/,
    );
    expect(stage.status).toBe(201);
    expect(seen.length).toBeGreaterThan(30);
    expect(logs.length).toBeGreaterThan(0);
    expect(exported).toContain("DATABASE_PASSWORD");
  }, 60_000);
});
