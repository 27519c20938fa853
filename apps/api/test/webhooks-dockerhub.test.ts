import { describe, expect, test } from "vitest";
import { ENGINES, errorOf, json, useDatabase } from "./helpers.js";
import { configureSecret, deliveries, SECRET, webhookApp } from "./webhooks-helpers.js";

/** Builds one Docker Hub push delivery, where `images` is empty and the tag is in `push_data.tag`. */
function dockerHubBody(
  tag = "develop",
  repository: Record<string, unknown> = {},
  pushedAt: number = 1631871970,
) {
  return JSON.stringify({
    callback_url: "https://registry.hub.example.test/u/acme/app/hook/XYZ/",
    push_data: { pushed_at: pushedAt, images: [], tag, pusher: "ci-bot" },
    repository: {
      repo_name: "acme/app",
      namespace: "acme",
      name: "app",
      is_private: false,
      status: "Active",
      ...repository,
    },
  });
}

const JSON_HEADERS = { "content-type": "application/json" };

describe.each(ENGINES)("docker hub webhooks on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup(now?: () => Date) {
    const { db } = database();
    await configureSecret(db, "dockerhub");
    return { db, ...webhookApp(db, now ? { now } : {}) };
  }

  test("six deliveries make one push, seventh without secret gives 401", async () => {
    const { db, app, pushes, settle } = await setup();

    const statuses: number[] = [];
    for (let delivery = 0; delivery < 6; delivery += 1) {
      const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
        method: "POST",
        body: dockerHubBody(),
        headers: JSON_HEADERS,
      });
      statuses.push(response.status);
    }
    const seventh = await app.request("/hooks/dockerhub", {
      method: "POST",
      body: dockerHubBody(),
      headers: JSON_HEADERS,
    });
    await settle();
    const rows = await deliveries(db);

    expect(statuses).toEqual([202, 202, 202, 202, 202, 202]);
    expect(pushes).toEqual([
      { source: "dockerhub", image: "docker.io/acme/app", tag: "develop", deliveryId: rows[0]?.id },
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(5);
    expect(seventh.status).toBe(401);
    expect((await errorOf(seventh)).message).toContain("has no secret");
  });

  test("concurrent deliveries make one push", async () => {
    const { db, app, pushes, settle } = await setup();

    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        app.request(`/hooks/dockerhub/${SECRET}`, {
          method: "POST",
          body: dockerHubBody(),
          headers: JSON_HEADERS,
        }),
      ),
    );
    await settle();
    const answers = await Promise.all(
      responses.map((response) => json<{ status: string }>(response)),
    );

    expect(responses.every((response) => response.status === 202)).toBe(true);
    expect(answers.filter((answer) => answer.status === "accepted")).toHaveLength(1);
    expect(pushes).toHaveLength(1);
    expect((await deliveries(db))[0]?.duplicates).toBe(19);
  });

  test("push after the window is checked again", async () => {
    let clock = new Date("2026-12-04T20:00:00Z");
    const { db, app, pushes, settle } = await setup(() => clock);
    const send = () =>
      app.request(`/hooks/dockerhub/${SECRET}`, {
        method: "POST",
        body: dockerHubBody(),
        headers: JSON_HEADERS,
      });

    await send();
    clock = new Date("2026-12-04T20:01:59Z");
    const within = await json<{ status: string }>(await send());
    clock = new Date("2026-12-04T20:04:00Z");
    const after = await json<{ status: string }>(await send());
    await settle();
    const rows = await deliveries(db);

    expect(within.status).toBe("duplicate");
    expect(after.status).toBe("accepted");
    expect(pushes).toHaveLength(2);
    expect(pushes[0]?.deliveryId).not.toBe(pushes[1]?.deliveryId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(0);
  });

  test("secret in the query string is accepted", async () => {
    const { app } = await setup();

    const response = await app.request(`/hooks/dockerhub?secret=${SECRET}`, {
      method: "POST",
      body: dockerHubBody(),
      headers: JSON_HEADERS,
    });

    expect(response.status).toBe(202);
  });

  test("wrong secret gives 401 and stores nothing", async () => {
    const { db, app, pushes } = await setup();

    const response = await app.request("/hooks/dockerhub/guess", {
      method: "POST",
      body: dockerHubBody(),
      headers: JSON_HEADERS,
    });

    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toContain("has a wrong secret");
    expect(pushes).toHaveLength(0);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test.each([
    {
      name: "official image",
      repository: { namespace: "library", repo_name: "nginx", name: "nginx" },
      image: "docker.io/library/nginx",
    },
    {
      name: "missing namespace",
      repository: { namespace: undefined, repo_name: undefined, name: "redis" },
      image: "docker.io/library/redis",
    },
    { name: "uppercase repo", repository: { repo_name: "Acme/App" }, image: "docker.io/acme/app" },
  ])("$name is normalised", async ({ repository, image }) => {
    const { app, pushes, settle } = await setup();

    const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
      method: "POST",
      body: dockerHubBody("1.0", repository),
      headers: JSON_HEADERS,
    });
    await settle();

    expect(response.status).toBe(202);
    expect(pushes[0]?.image).toBe(image);
  });

  test("float pushed_at is accepted", async () => {
    const { app } = await setup();

    const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
      method: "POST",
      body: dockerHubBody("develop", {}, 1631871970.25),
      headers: JSON_HEADERS,
    });

    expect(response.status).toBe(202);
  });

  test("empty tag is ignored", async () => {
    const { db, app } = await setup();

    const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
      method: "POST",
      body: dockerHubBody(""),
      headers: JSON_HEADERS,
    });

    expect(response.status).toBe(200);
    expect((await json<{ reason: string }>(response)).reason).toBe("push without a tag");
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("missing fields give 422", async () => {
    const { app } = await setup();

    const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
      method: "POST",
      body: JSON.stringify({ push_data: { tag: 7 } }),
      headers: JSON_HEADERS,
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([
      "push_data.tag",
      "repository",
    ]);
    expect(error.message).toContain("push_data.tag: expected string, got 7");
    expect(error.message).toMatch(/repository: [^;]*missing[^;]*expected object/);
    expect(error.message).toContain("check that the sender is a Docker Hub repository webhook");
    expect(error.message).not.toContain("Invalid input");
  });

  test("invalid JSON gives 400", async () => {
    const { app } = await setup();

    const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
      method: "POST",
      body: "{",
      headers: JSON_HEADERS,
    });

    expect(response.status).toBe(400);
  });
});
