import { getWebhookSecretsEncrypted } from "@berth/store";
import { describe, expect, test } from "vitest";
import { auditRoutes } from "../src/auth/audit-routes.js";
import { webhookSettingsRoutes } from "../src/webhooks/settings-routes.js";
import { authApp, login } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, useDatabase } from "./helpers.js";
import { sign, webhookApp } from "./webhooks-helpers.js";

const encryptSecret = (plain: string) => `test-encrypted:${plain}`;

type Endpoint = { source: string; path: string; signed: boolean; secretSet: boolean };

describe.each(ENGINES)("webhook settings on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup(role: "admin" | "operator" = "admin") {
    const handle = database();
    await seedUser(handle, "root", role);
    const app = authApp(handle.db);
    app.route("/webhooks", webhookSettingsRoutes({ db: handle.db, encryptSecret }));
    app.route("/audit", auditRoutes({ db: handle.db }));
    const cookie = await login(app, "root");
    return { db: handle.db, app, cookie };
  }

  test("regenerated secret is shown once and works", async () => {
    const { db, app, cookie } = await setup();

    const response = await app.request("/webhooks/generic/secret", {
      method: "POST",
      headers: { cookie },
    });
    const created = await json<{ secret: string; path: string }>(response);
    const stored = await getWebhookSecretsEncrypted(db);
    const hooks = webhookApp(db);
    const push = await hooks.app.request(`/hooks/generic/${created.secret}`, {
      method: "POST",
      body: JSON.stringify({ image: "registry.example.test/acme/app:1" }),
      headers: { "content-type": "application/json" },
    });
    await hooks.settle();

    expect(response.status).toBe(201);
    expect(created.secret).toMatch(/^[\w-]{32}$/);
    expect(created.path).toBe(`/api/v1/hooks/generic/${created.secret}`);
    expect(stored.generic).toBe(`test-encrypted:${created.secret}`);
    expect(push.status).toBe(202);
  });

  test("regenerating replaces the old secret", async () => {
    const { db, app, cookie } = await setup();

    const first = await json<{ secret: string }>(
      await app.request("/webhooks/gitea/secret", { method: "POST", headers: { cookie } }),
    );
    await app.request("/webhooks/gitea/secret", { method: "POST", headers: { cookie } });
    const body = JSON.stringify({ action: "created" });
    const response = await webhookApp(db).app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-gitea-event": "package",
        "x-gitea-signature": sign(body, first.secret),
      },
    });

    expect(response.status).toBe(401);
  });

  test("endpoints list says which have secrets", async () => {
    const { app, cookie } = await setup();
    await app.request("/webhooks/github/secret", { method: "POST", headers: { cookie } });

    const response = await app.request("/webhooks", { headers: { cookie } });
    const body = await json<{ endpoints: Endpoint[] }>(response);

    expect(response.status).toBe(200);
    expect(body.endpoints).toContainEqual({
      source: "github",
      path: "/api/v1/hooks/github",
      signed: true,
      secretSet: true,
    });
    expect(body.endpoints).toContainEqual({
      source: "dockerhub",
      path: "/api/v1/hooks/dockerhub/<secret>",
      signed: false,
      secretSet: false,
    });
  });

  test("operator cannot regenerate secrets", async () => {
    const { db, app, cookie } = await setup("operator");

    const response = await app.request("/webhooks/github/secret", {
      method: "POST",
      headers: { cookie },
    });

    expect(response.status).toBe(403);
    expect(await getWebhookSecretsEncrypted(db)).toEqual({});
  });

  test("unknown source gives 404", async () => {
    const { app, cookie } = await setup();

    const response = await app.request("/webhooks/gitlab/secret", {
      method: "POST",
      headers: { cookie },
    });

    expect(response.status).toBe(404);
    expect((await errorOf(response)).message).toContain("gitlab");
  });

  test("deliveries are listed and filtered", async () => {
    const { db, app, cookie } = await setup();
    const { secret } = await json<{ secret: string }>(
      await app.request("/webhooks/generic/secret", { method: "POST", headers: { cookie } }),
    );
    const hooks = webhookApp(db);
    hooks.setOutcome(async () => ({ matchedStages: 0 }));
    for (const tag of ["1", "2"]) {
      await hooks.app.request(`/hooks/generic/${secret}`, {
        method: "POST",
        body: JSON.stringify({ image: `registry.example.test/acme/app:${tag}` }),
        headers: { "content-type": "application/json" },
      });
    }
    await hooks.settle();

    const all = await json<{ deliveries: Array<{ tag: string }> }>(
      await app.request("/webhooks/deliveries", { headers: { cookie } }),
    );
    const unmatched = await json<{ deliveries: unknown[] }>(
      await app.request("/webhooks/deliveries?result=unmatched&limit=1", { headers: { cookie } }),
    );
    const matched = await json<{ deliveries: unknown[] }>(
      await app.request("/webhooks/deliveries?result=matched", { headers: { cookie } }),
    );

    expect(all.deliveries.map((delivery) => delivery.tag).sort()).toEqual(["1", "2"]);
    expect(unmatched.deliveries).toHaveLength(1);
    expect(matched.deliveries).toHaveLength(0);
  });

  test("bad deliveries query gives 422", async () => {
    const { app, cookie } = await setup();

    const response = await app.request("/webhooks/deliveries?limit=0&result=maybe", {
      headers: { cookie },
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path).sort()).toEqual(["limit", "result"]);
  });

  test("audit log lists changes newest first", async () => {
    const { app, cookie } = await setup();
    await app.request("/webhooks/github/secret", { method: "POST", headers: { cookie } });

    const response = await app.request("/audit?limit=1", { headers: { cookie } });
    const body = await json<{ entries: Array<{ action: string; targetId: string }> }>(response);
    const secretShown = JSON.stringify(body).includes("test-encrypted");

    expect(response.status).toBe(200);
    expect(body.entries).toEqual([
      expect.objectContaining({ action: "webhook_secret.regenerate", targetId: "github" }),
    ]);
    expect(secretShown).toBe(false);
  });

  test("audit log needs admin", async () => {
    const { app, cookie } = await setup("operator");

    const response = await app.request("/audit", { headers: { cookie } });

    expect(response.status).toBe(403);
  });

  test("bad audit query gives 422", async () => {
    const { app, cookie } = await setup();

    const response = await app.request("/audit?before=abc", { headers: { cookie } });

    expect(response.status).toBe(422);
    expect((await errorOf(response)).details?.issues?.[0]?.path).toBe("before");
  });
});
