import * as store from "@berth/store";
import { type Json, jsonPaths, mutateJson, snapshotTables } from "@berth/testing";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { hmacSha256Hex } from "../src/webhooks/signature.js";
import { ENGINES, useDatabase } from "./helpers.js";
import { fullApp } from "./ops-helpers.js";
import { configureSecret, SECRET, webhookApp } from "./webhooks-helpers.js";

/** A fixed seed makes a failure repeatable; the run count keeps each source under a few seconds. */
const RUNS = { seed: 20261204, numRuns: 120 };

/** A valid body per source: the fuzzer breaks these so most runs reach the payload parser. */
const TEMPLATES: Record<string, Json> = {
  github: {
    action: "published",
    package: {
      name: "app",
      namespace: "Acme",
      package_type: "CONTAINER",
      owner: { login: "Acme" },
      registry: { url: "https://ghcr.io/Acme" },
      package_version: {
        version: `sha256:${"a".repeat(64)}`,
        container_metadata: { tag: { name: "1.4.0", digest: `sha256:${"a".repeat(64)}` } },
      },
    },
  },
  gitea: {
    action: "created",
    package: {
      owner: { login: "acme", username: "acme" },
      type: "container",
      name: "app",
      version: "1.4.0",
      html_url: "https://gitea.example.test/acme/-/packages/container/app/1.4.0",
    },
  },
  dockerhub: {
    callback_url: "https://registry.hub.example.test/u/acme/app/hook/XYZ/",
    push_data: { pushed_at: 1631871970, images: [], tag: "develop", pusher: "ci-bot" },
    repository: { repo_name: "acme/app", namespace: "acme", name: "app" },
  },
  generic: { image: "registry.example.test/acme/app:1.2.3" },
};

const encode = (text: string) => new TextEncoder().encode(text);

function bodyFor(source: string): fc.Arbitrary<Uint8Array> {
  const template = TEMPLATES[source] as Json;
  const templatePaths = jsonPaths(template);
  const broken = fc
    .array(
      fc.tuple(
        fc.nat(templatePaths.length - 1),
        fc.option(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 70_000 }))),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((edits) =>
      edits.reduce<Json>(
        (body, [index, value]) =>
          mutateJson(
            body,
            templatePaths[index % templatePaths.length] ?? [],
            (value ?? undefined) as Json | undefined,
          ),
        template,
      ),
    )
    .map((body) => encode(JSON.stringify(body)));
  return fc.oneof(
    broken,
    fc.jsonValue({ maxDepth: 5 }).map((value) => encode(JSON.stringify(value))),
    fc
      .integer({ min: 100, max: 20_000 })
      .map((depth) => encode(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)),
    fc
      .integer({ min: 100, max: 20_000 })
      .map((depth) => encode(`${"[".repeat(depth)}${"]".repeat(depth)}`)),
    fc.uint8Array({ maxLength: 300 }),
    fc.constant(new Uint8Array([0x7b, 0x22, 0x69, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d])),
    fc.constant(encode(`{"image":"${"a".repeat(300 * 1024)}"}`)),
  );
}

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/vnd.api+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  undefined,
);

/** Headers that pass the signature check, so the body reaches the parser. */
function headersFor(source: string, body: Uint8Array, type: string | undefined, event: string) {
  const headers: Record<string, string> = {};
  if (type) headers["content-type"] = type;
  if (source === "github") {
    headers["x-github-event"] = event;
    headers["x-github-delivery"] = crypto.randomUUID();
    headers["x-hub-signature-256"] = `sha256=${hmacSha256Hex(SECRET, body)}`;
  }
  if (source === "gitea") {
    headers["x-gitea-event"] = event;
    headers["x-gitea-delivery"] = crypto.randomUUID();
    headers["x-gitea-signature"] = hmacSha256Hex(SECRET, body);
  }
  return headers;
}

const SOURCES = ["github", "gitea", "dockerhub", "generic"] as const;

/**
 * Reads every table. None is left out: a rejected delivery is only logged and counted, and
 * stores nothing, not even in `webhook_deliveries` or `audit_log`.
 */
const snapshot = (db: store.Database) => snapshotTables(db, store);

describe.each(ENGINES)("webhook fuzz on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test.each(SOURCES)("%s bodies get 2xx or 4xx", async (source) => {
    const { db } = database();
    await configureSecret(db, source);
    const { app, settle } = webhookApp(db);
    const path = source === "dockerhub" || source === "generic" ? `/${source}/${SECRET}` : "";
    const event = fc.constantFrom("package", "registry_package", "push", "", "ping");
    const statuses = new Set<number>();

    let before = await snapshot(db);
    await fc.assert(
      fc.asyncProperty(bodyFor(source), contentType, event, async (body, type, name) => {
        const response = await app.request(`/hooks/${source}${path}`, {
          method: "POST",
          body,
          headers: headersFor(source, body, type, name),
        });
        await settle();
        statuses.add(response.status);
        const answer = (await response.json()) as { error?: { message?: unknown } };

        expect(response.status).toBeLessThan(500);
        if (response.status < 400) {
          // An accepted delivery adds a row: compare the next rejection with the new state.
          before = await snapshot(db);
          return;
        }
        expect(typeof answer.error?.message).toBe("string");
        expect(String(answer.error?.message)).not.toMatch(/TypeError|\[object/);
        expect(await snapshot(db)).toEqual(before);
      }),
      RUNS,
    );

    // The whole app on the same database, as `berth serve` builds it, is still healthy.
    const health = await fullApp(database()).request("/api/v1/health");
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status?: unknown }).status).toBe("ok");

    // The generators reach the parser, the media type check and the body limit.
    expect([...statuses].filter((status) => status >= 400).length).toBeGreaterThanOrEqual(2);
    expect(statuses).toContain(413);
  });
});
