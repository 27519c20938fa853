import { describe, expect, test } from "vitest";
import { ENGINES, errorOf, json, useDatabase } from "./helpers.js";
import { configureSecret, deliveries, sign, webhookApp } from "./webhooks-helpers.js";

/** A Gitea `PackagePayload` for one pushed container version. */
function giteaPayload(version: string, overrides: Record<string, unknown> = {}) {
  return {
    action: "created",
    repository: null,
    package: {
      id: 42,
      owner: { id: 3, login: "acme", username: "acme" },
      repository: null,
      creator: { id: 1, login: "ci-bot" },
      type: "container",
      name: "app",
      version,
      html_url: `https://gitea.example.test/acme/-/packages/container/app/${version}`,
      created_at: "2026-12-04T20:00:00Z",
      ...overrides,
    },
    sender: { id: 1, login: "ci-bot" },
  };
}

type Headers = Record<string, string>;

function giteaHeaders(body: string, extra: Headers = {}): Headers {
  return {
    "content-type": "application/json",
    "x-gitea-event": "package",
    "x-gitea-event-type": "package",
    "x-gitea-delivery": crypto.randomUUID(),
    "x-gitea-signature": sign(body),
    ...extra,
  };
}

describe.each(ENGINES)("gitea and forgejo webhooks on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const { db } = database();
    await configureSecret(db, "gitea");
    await configureSecret(db, "forgejo");
    return { db, ...webhookApp(db) };
  }

  test("tagged push is accepted and checked", async () => {
    const { db, app, pushes, settle } = await setup();
    const body = JSON.stringify(giteaPayload("1.4.0"));
    const headers = giteaHeaders(body);

    const response = await app.request("/hooks/gitea", { method: "POST", body, headers });
    const answer = await json<{
      status: string;
      delivery: { id: string; image: string; tag: string };
    }>(response);
    await settle();
    const rows = await deliveries(db);

    expect(response.status).toBe(202);
    expect(answer.status).toBe("accepted");
    expect(answer.delivery).toMatchObject({ image: "gitea.example.test/acme/app", tag: "1.4.0" });
    expect(pushes).toEqual([
      {
        source: "gitea",
        image: "gitea.example.test/acme/app",
        tag: "1.4.0",
        deliveryId: answer.delivery.id,
      },
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: "gitea",
      deliveryId: headers["x-gitea-delivery"],
      result: "matched",
      matchedStages: 1,
    });
    expect(rows[0]?.processedAt).toBeInstanceOf(Date);
  });

  test("forgejo headers are read first", async () => {
    const { app, pushes, settle } = await setup();
    const body = JSON.stringify(giteaPayload("2.0.0"));

    const response = await app.request("/hooks/forgejo", {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-forgejo-event": "package",
        "x-forgejo-signature": sign(body),
        "x-gitea-event": "push",
        "x-gitea-signature": "0".repeat(64),
      },
    });
    await settle();

    expect(response.status).toBe(202);
    expect(pushes.map((push) => push.source)).toEqual(["forgejo"]);
  });

  test("form delivery is verified over the payload", async () => {
    const { app, pushes, settle } = await setup();
    // Spaces, '+', '&', '=' and non-ASCII text must survive form decoding byte for byte.
    const payload = JSON.stringify(giteaPayload("1.0.0", { description: "a b+c&d=é" }));
    const body = new URLSearchParams({ payload }).toString();

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: {
        ...giteaHeaders(payload),
        "content-type": "application/x-www-form-urlencoded",
      },
    });
    await settle();

    expect(response.status).toBe(202);
    expect(pushes.map((push) => push.tag)).toEqual(["1.0.0"]);
  });

  test("multi-arch burst makes one push", async () => {
    const { db, app, pushes, settle } = await setup();
    const versions = [`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`, "1.4.0", "1.4.0"];

    const statuses: number[] = [];
    const answers: string[] = [];
    for (const version of versions) {
      const body = JSON.stringify(giteaPayload(version));
      const response = await app.request("/hooks/gitea", {
        method: "POST",
        body,
        headers: giteaHeaders(body),
      });
      statuses.push(response.status);
      answers.push((await json<{ status: string }>(response)).status);
    }
    await settle();
    const rows = await deliveries(db);

    expect(statuses).toEqual([200, 200, 202, 202]);
    expect(answers).toEqual(["ignored", "ignored", "accepted", "duplicate"]);
    expect(pushes).toHaveLength(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(1);
  });

  test("digest-only version is ignored with a reason", async () => {
    const { db, app } = await setup();
    const body = JSON.stringify(giteaPayload(`sha256:${"a".repeat(64)}`));

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });
    const answer = await json<{ status: string; reason: string }>(response);

    expect(response.status).toBe(200);
    expect(answer.reason).toContain("pushed by digest");
    expect(await deliveries(db)).toHaveLength(0);
  });

  test.each([
    {
      name: "deleted package",
      payload: { ...giteaPayload("1.0.0"), action: "deleted" },
      reason: "action deleted",
    },
    { name: "npm package", payload: giteaPayload("1.0.0", { type: "npm" }), reason: "type npm" },
    {
      // Only the action and the type are read before a delivery is ignored.
      name: "npm package without container fields",
      payload: { action: "created", package: { type: "npm", name: "@acme/lib", owner: null } },
      reason: "package type npm is not a container image",
    },
    {
      name: "deleted package without container fields",
      payload: { action: "deleted", package: { type: "container" } },
      reason: "package action deleted is not a push",
    },
  ])("$name is ignored", async ({ payload, reason }) => {
    const { db, app, pushes } = await setup();
    const body = JSON.stringify(payload);

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });

    expect(response.status).toBe(200);
    expect((await json<{ reason: string }>(response)).reason).toContain(reason);
    expect(pushes).toHaveLength(0);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("non-package event is ignored", async () => {
    const { app } = await setup();
    const body = JSON.stringify({ ref: "refs/heads/main" });

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body, { "x-gitea-event": "push" }),
    });

    expect(response.status).toBe(200);
    expect((await json<{ reason: string }>(response)).reason).toBe(
      "event push is not a package event",
    );
  });

  test("nested path and uppercase owner are normalised", async () => {
    const { app, pushes, settle } = await setup();
    const payload = giteaPayload("1.0", { name: "tools/el9/app", owner: { login: "Acme" } });
    const body = JSON.stringify(payload);

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });
    await settle();

    expect(response.status).toBe(202);
    expect(pushes[0]?.image).toBe("gitea.example.test/acme/tools/el9/app");
  });

  test.each([
    { name: "wrong signature", signature: sign("other body") },
    { name: "missing signature", signature: undefined },
    { name: "other secret", signature: "use-other-secret" },
  ])("$name gives 401 and stores nothing", async ({ signature }) => {
    const { db, app, pushes, settle } = await setup();
    const body = JSON.stringify(giteaPayload("1.4.0"));
    const headers = giteaHeaders(body);
    if (signature === "use-other-secret") {
      headers["x-gitea-signature"] = sign(body, "another-secret");
    } else if (signature === undefined) {
      delete headers["x-gitea-signature"];
    } else {
      headers["x-gitea-signature"] = signature;
    }

    const response = await app.request("/hooks/gitea", { method: "POST", body, headers });
    await settle();

    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toContain("gitea webhook signature");
    expect(pushes).toHaveLength(0);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("one changed byte fails the signature", async () => {
    const { db, app } = await setup();
    const body = JSON.stringify(giteaPayload("1.4.0"));
    const headers = giteaHeaders(body);

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body: body.replace("1.4.0", "1.4.1"),
      headers,
    });

    expect(response.status).toBe(401);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("source without a secret gives 404", async () => {
    const { db } = database();
    const { app, pushes } = webhookApp(db);
    const body = JSON.stringify(giteaPayload("1.4.0"));

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });

    const message = (await errorOf(response)).message;

    expect(response.status).toBe(404);
    expect(message).toContain("gitea webhooks are not set up");
    expect(message).toContain("in the dashboard under Settings, Webhooks (/settings)");
    expect(message).toContain("POST /api/v1/webhooks/gitea/secret");
    expect(pushes).toHaveLength(0);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("wrong field types give 422", async () => {
    const { db, app } = await setup();
    const body = JSON.stringify(giteaPayload("1.0", { name: 5, owner: {} }));

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "package.name",
      "package.owner.login",
    ]);
    expect(error.message).toContain("package.name: expected string, got 5");
    expect(error.message).toMatch(/package\.owner\.login: [^;]*missing/);
    expect(error.message).toContain("check that the hook is a Gitea or Forgejo hook");
    expect(error.message).not.toContain("Invalid input");
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("missing html_url gives 422", async () => {
    const { app } = await setup();
    const body = JSON.stringify(giteaPayload("1.0", { html_url: undefined }));

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });

    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toContain("package.html_url");
  });

  test("signed invalid JSON gives 400", async () => {
    const { app } = await setup();
    const body = '{"action":';

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });

    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_json");
  });

  test("form without payload gives 422", async () => {
    const { app } = await setup();
    const body = "other=1";

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: { ...giteaHeaders(body), "content-type": "application/x-www-form-urlencoded" },
    });

    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toContain("no payload field");
  });

  test("wrong content type gives 415", async () => {
    const { app } = await setup();
    const body = JSON.stringify(giteaPayload("1.0"));

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: { ...giteaHeaders(body), "content-type": "text/plain" },
    });

    expect(response.status).toBe(415);
    expect((await errorOf(response)).message).toContain("text/plain");
  });

  test("huge body gives 413", async () => {
    const { db, app } = await setup();
    const body = JSON.stringify(giteaPayload("1.0", { padding: "x".repeat(300 * 1024) }));

    const response = await app.request("/hooks/gitea", {
      method: "POST",
      body,
      headers: giteaHeaders(body),
    });

    expect(response.status).toBe(413);
    expect(await deliveries(db)).toHaveLength(0);
  });
});
