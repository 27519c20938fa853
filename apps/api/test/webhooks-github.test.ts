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
    const body = JSON.stringify({
      action: "published",
      package: { name: 1, owner: "acme", package_type: "CONTAINER" },
    });

    const response = await deliver(app, body);
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "package.name",
      "package.owner",
      "package.package_version",
    ]);
    expect(error.message).toContain("package.name: expected string, got 1");
    expect(error.message).toMatch(/package\.package_version: [^;]*missing/);
    expect(error.message).toContain("check that the hook sends GitHub's Packages");
    expect(error.message).not.toContain("Invalid input");
    expect(await deliveries(db)).toHaveLength(0);
  });

  // GitHub's webhook schema allows a null owner, package_version and registry, and an npm
  // or Maven version carries no container metadata.
  test.each([
    {
      name: "npm package without a version object",
      event: "package",
      pkg: { name: "hello", package_type: "npm", ecosystem: "npm", package_version: null },
      reason: "package type npm is not a container image",
    },
    {
      name: "maven registry_package without an owner",
      event: "registry_package",
      pkg: { name: "lib", package_type: "maven", owner: null, registry: null },
      reason: "package type maven is not a container image",
    },
    {
      name: "npm package with GitHub's full shape",
      event: "package",
      pkg: {
        id: 10696,
        name: "hello-world-npm",
        namespace: "acme/hello-world-npm",
        description: null,
        ecosystem: "docker",
        package_type: "npm",
        owner: { login: "acme", id: 1 },
        package_version: {
          id: 24147,
          version: "1.0.0",
          name: `sha256:${"d".repeat(64)}`,
          npm_metadata: { name: "@acme/hello-world-npm", version: "1.0.0" },
          metadata: [],
          package_files: [],
        },
        registry: {
          name: "GitHub npm registry",
          type: "npm",
          url: "https://npm.pkg.github.com/@acme",
        },
      },
      reason: "package type npm is not a container image",
    },
  ])("$name is ignored with 200", async ({ event, pkg, reason }) => {
    const { db, app, pushes, settle } = await setup();
    const body = JSON.stringify({ action: "published", [event]: pkg });

    const response = await deliver(app, body, event);
    await settle();

    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: "ignored", reason });
    expect(pushes).toHaveLength(0);
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
