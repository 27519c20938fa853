import { describe, expect, test } from "vitest";
import { ENGINES, errorOf, json, useDatabase } from "./helpers.js";
import { configureSecret, deliveries, sign, webhookApp } from "./webhooks-helpers.js";

const digest = (letter: string) => `sha256:${letter.repeat(64)}`;

/** The shape GitHub sends for a container version, with the mixed-case namespace of real payloads. */
function githubPackage(version: string, tag: string, tagDigest = version) {
  return {
    name: "app",
    namespace: "Acme",
    package_type: "CONTAINER",
    ecosystem: "CONTAINER",
    owner: { login: "Acme" },
    registry: { name: "GitHub CONTAINER registry", type: "CONTAINER", url: "https://ghcr.io/Acme" },
    package_version: {
      version,
      name: version,
      container_metadata: { tag: { name: tag, digest: tagDigest } },
    },
  };
}

function githubBody(version: string, tag: string, key = "package", action = "published") {
  return JSON.stringify({
    action,
    [key]: githubPackage(version, tag),
    sender: { login: "ci-bot" },
  });
}

function githubHeaders(body: string, event = "package"): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": crypto.randomUUID(),
    "x-hub-signature-256": `sha256=${sign(body)}`,
  };
}

describe.each(ENGINES)("github webhooks on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const { db } = database();
    await configureSecret(db, "github");
    return { db, ...webhookApp(db) };
  }

  async function deliver(
    app: Awaited<ReturnType<typeof setup>>["app"],
    body: string,
    event = "package",
  ) {
    return app.request("/hooks/github", {
      method: "POST",
      body,
      headers: githubHeaders(body, event),
    });
  }

  test("multi-arch push makes one push", async () => {
    const { db, app, pushes, settle } = await setup();

    const a = await deliver(app, githubBody(digest("a"), ""));
    const b = await deliver(app, githubBody(digest("b"), ""));
    const c = await deliver(app, githubBody(digest("c"), "1.4.0"));
    await settle();
    const rows = await deliveries(db);

    expect(a.status).toBe(200);
    expect((await json<{ reason: string }>(a)).reason).toContain("untagged manifest");
    expect(b.status).toBe(200);
    expect(c.status).toBe(202);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ source: "github", image: "ghcr.io/acme/app", tag: "1.4.0" });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ image: "ghcr.io/acme/app", tag: "1.4.0", digest: digest("c") });
  });

  test("registry_package event is accepted", async () => {
    const { app, pushes, settle } = await setup();

    const response = await deliver(
      app,
      githubBody(digest("c"), "v2", "registry_package"),
      "registry_package",
    );
    await settle();

    expect(response.status).toBe(202);
    expect(pushes.map((push) => push.tag)).toEqual(["v2"]);
  });

  test("ping is ignored", async () => {
    const { db, app } = await setup();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });

    const response = await deliver(app, body, "ping");

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      status: "ignored",
      reason: "event ping is not a package event",
    });
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("one changed byte gives 401", async () => {
    const { db, app, pushes, settle } = await setup();
    const body = githubBody(digest("c"), "1.4.0");
    const headers = githubHeaders(body);

    const response = await app.request("/hooks/github", {
      method: "POST",
      body: body.replace("1.4.0", "1.4.1"),
      headers,
    });
    await settle();

    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toContain("does not match the body");
    expect(pushes).toHaveLength(0);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("signature without sha256= prefix gives 401", async () => {
    const { app } = await setup();
    const body = githubBody(digest("c"), "1.4.0");

    const response = await app.request("/hooks/github", {
      method: "POST",
      body,
      headers: { ...githubHeaders(body), "x-hub-signature-256": sign(body) },
    });

    expect(response.status).toBe(401);
  });

  test.each([
    {
      name: "npm package",
      mutate: (pkg: Record<string, unknown>) => ({ ...pkg, package_type: "npm", ecosystem: "npm" }),
    },
    { name: "deleted action", action: "deleted" },
  ])("$name is ignored", async ({ mutate, action }) => {
    const { db, app } = await setup();
    const pkg = githubPackage(digest("c"), "1.4.0");
    const body = JSON.stringify({
      action: action ?? "published",
      package: mutate ? mutate(pkg) : pkg,
    });

    const response = await deliver(app, body);

    expect(response.status).toBe(200);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("event without its package object gives 422", async () => {
    const { app } = await setup();
    const body = JSON.stringify({ action: "published" });

    const response = await deliver(app, body);

    expect(response.status).toBe(422);
    expect((await errorOf(response)).message).toContain('no "package" object');
  });

  test("wrong field types give 422", async () => {
    const { db, app } = await setup();
    const body = JSON.stringify({ action: "published", package: { name: 1, owner: "acme" } });

    const response = await deliver(app, body);
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "package.name",
      "package.owner",
      "package.package_version",
    ]);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("form content type gives 415", async () => {
    const { app } = await setup();
    const body = `payload=${encodeURIComponent(githubBody(digest("c"), "1.4.0"))}`;

    const response = await app.request("/hooks/github", {
      method: "POST",
      body,
      headers: { ...githubHeaders(body), "content-type": "application/x-www-form-urlencoded" },
    });

    expect(response.status).toBe(415);
    expect((await errorOf(response)).message).toContain("send application/json");
  });
});
