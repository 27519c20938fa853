import pino from "pino";
import { describe, expect, test } from "vitest";
import type { DeliveryEvent } from "../src/webhooks/types.js";
import { ENGINES, errorOf, useDatabase } from "./helpers.js";
import { configureSecret, deliveries, SECRET, webhookApp } from "./webhooks-helpers.js";

const JSON_HEADERS = { "content-type": "application/json" };

describe.each(ENGINES)("generic webhook on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const { db } = database();
    await configureSecret(db, "generic");
    return { db, ...webhookApp(db) };
  }

  function send(app: Awaited<ReturnType<typeof setup>>["app"], body: unknown, secret = SECRET) {
    return app.request(`/hooks/generic/${secret}`, {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: JSON_HEADERS,
    });
  }

  test.each([
    {
      image: "registry.example.test:5000/acme/app:1.2.3",
      expected: "registry.example.test:5000/acme/app",
      tag: "1.2.3",
    },
    { image: "ghcr.io/Acme/App:1.0", expected: "ghcr.io/acme/app", tag: "1.0" },
    { image: "registry:5000/classic-web:v2", expected: "registry:5000/classic-web", tag: "v2" },
    { image: "nginx:1.27-alpine", expected: "docker.io/library/nginx", tag: "1.27-alpine" },
    { image: "index.docker.io/acme/app:1", expected: "docker.io/acme/app", tag: "1" },
    { image: "localhost/app:Dev", expected: "localhost/app", tag: "Dev" },
  ])("$image is accepted", async ({ image, expected, tag }) => {
    const { app, pushes, settle } = await setup();

    const response = await send(app, { image });
    await settle();

    expect(response.status).toBe(202);
    expect(pushes).toEqual([expect.objectContaining({ source: "generic", image: expected, tag })]);
  });

  test.each([
    { image: "registry.example.test/acme/app", message: "has no tag" },
    { image: "registry.example.test/acme/app:-bad", message: 'the tag "-bad" is not valid' },
    { image: "registry.example.test/acme/a$pp:1", message: "invalid image reference" },
  ])("bad image $image gives 422", async ({ image, message }) => {
    const { db, app, pushes } = await setup();

    const response = await send(app, { image });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.message).toContain(image);
    expect(error.message).toContain(message);
    expect(pushes).toHaveLength(0);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("wrong type gives 422", async () => {
    const { app } = await setup();

    const response = await send(app, { image: ["a:1"] });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.[0]?.path).toBe("image");
    expect(error.message).toContain("image: expected string, got an array");
  });

  test("missing image names field and fix", async () => {
    const { app } = await setup();

    const response = await send(app, { tag: "1.0" });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.message).toContain("invalid generic webhook payload");
    expect(error.message).toMatch(/image: [^;]*missing[^;]*expected string/);
    expect(error.message).toContain('send {"image": "host/owner/app:tag"}');
    expect(error.message).not.toContain("Invalid input");
  });

  test("wrong secret gives 401", async () => {
    const { db, app } = await setup();

    const response = await send(app, { image: "registry.example.test/acme/app:1" }, "nope");

    expect(response.status).toBe(401);
    expect(await deliveries(db)).toHaveLength(0);
  });

  test("unmatched push is recorded as unmatched", async () => {
    const { db, app, settle, setOutcome } = await setup();
    setOutcome(async () => ({ matchedStages: 0 }));

    await send(app, { image: "registry.example.test/acme/unknown:1" });
    await settle();

    expect((await deliveries(db))[0]).toMatchObject({ result: "unmatched", matchedStages: 0 });
  });

  test.each([
    { name: "no stage's pattern takes the tag", taking: 0, result: "unmatched" },
    { name: "one of two stages takes the tag", taking: 1, result: "matched" },
  ])("$name is recorded as $result", async ({ taking, result }) => {
    const { db, app, settle, setOutcome } = await setup();
    setOutcome(async () => ({ matchedStages: 2, stagesTakingTag: taking }));

    await send(app, { image: "registry.example.test/acme/app:9.9.9" });
    await settle();

    expect((await deliveries(db))[0]).toMatchObject({ result, matchedStages: taking });
  });

  test("failed stage check is recorded", async () => {
    const { db, app, settle, setOutcome } = await setup();
    setOutcome(async () => {
      throw new Error("registry answered 503");
    });

    const response = await send(app, { image: "registry.example.test/acme/app:1" });
    await settle();

    expect(response.status).toBe(202);
    expect((await deliveries(db))[0]).toMatchObject({
      result: "failed",
      error: "registry answered 503",
    });
  });

  test("huge chunked body gives 413", async () => {
    const { db, app } = await setup();
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 1000) {
          controller.close();
          return;
        }
        controller.enqueue(new TextEncoder().encode(" ".repeat(4096)));
      },
    });

    const response = await app.request(`/hooks/generic/${SECRET}`, {
      method: "POST",
      body: stream,
      headers: JSON_HEADERS,
      duplex: "half",
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(1000);
    expect(await deliveries(db)).toHaveLength(0);
  });
});

describe("webhook rejection log", () => {
  const database = useDatabase("pglite");

  test("rejected delivery is logged without the secret", async () => {
    const { db } = database();
    await configureSecret(db, "generic");
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(line) });
    const { app } = webhookApp(db, { logger });

    const response = await app.request("/hooks/generic/wrong-secret-value", {
      method: "POST",
      body: JSON.stringify({ image: "registry.example.test/acme/app:1" }),
      headers: JSON_HEADERS,
    });
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);

    expect(response.status).toBe(401);
    expect(entries).toEqual([
      expect.objectContaining({ msg: "webhook delivery rejected", source: "generic", status: 401 }),
    ]);
    expect(lines.join("")).not.toContain("wrong-secret-value");
    expect(lines.join("")).not.toContain(SECRET);
  });
});

describe("webhook delivery events", () => {
  const database = useDatabase("pglite");

  test("each delivery reports its outcome", async () => {
    const { db } = database();
    await configureSecret(db, "generic");
    const events: DeliveryEvent[] = [];
    const { app, settle } = webhookApp(db, { onDelivery: (event) => events.push(event) });
    const send = (secret: string, image: string) =>
      app.request(`/hooks/generic/${secret}`, {
        method: "POST",
        body: JSON.stringify({ image }),
        headers: JSON_HEADERS,
      });

    await send(SECRET, "registry.example.test/acme/app:1");
    await send(SECRET, "registry.example.test/acme/app:1");
    await send("wrong", "registry.example.test/acme/app:1");
    await send(SECRET, "registry.example.test/acme/app");
    await settle();

    expect(events).toEqual([
      { source: "generic", outcome: "accepted", status: 202 },
      { source: "generic", outcome: "duplicate", status: 202 },
      { source: "generic", outcome: "rejected", status: 401 },
      { source: "generic", outcome: "rejected", status: 422 },
    ]);
  });
});
