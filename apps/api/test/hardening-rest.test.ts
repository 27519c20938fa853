import * as store from "@berth/store";
import { is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ENGINES, json, seedUser, TEST_PASSWORD, useDatabase } from "./helpers.js";
import { type FullApp, fullApp, seedProject } from "./ops-helpers.js";

/** A fixed seed makes a failure repeatable; few runs per route keep the walk under a minute. */
const RUNS = { seed: 20261204, numRuns: 12 };

interface Operation {
  method: string;
  path: string;
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Schema {
  properties?: Record<string, unknown>;
  $ref?: string;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Omit<Operation, "method" | "path">>>;
  components?: { schemas?: Record<string, Schema> };
}

/**
 * Routes the walk leaves out: webhooks have their own fuzz test, `/events` streams without end,
 * and logout or a password change would end the session the walk runs on. The registry and
 * proxy manager checks contact the configured server (here a host that does not exist), and
 * their own tests cover them against servers on 127.0.0.1.
 */
const SKIPPED = [
  /^\/hooks\//,
  /^\/events/,
  /^\/auth\/(logout|password)$/,
  /^\/registries\/\{id\}\/(tags|test)$/,
  /^\/settings\/npm\/test$/,
];

/** Tables whose rows change on every authenticated request (last-used times). */
const VOLATILE = new Set(["sessions", "apiTokens"]);

async function snapshot(db: store.Database): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const [name, table] of Object.entries(store)) {
    if (is(table, PgTable) && !VOLATILE.has(name)) tables[name] = await db.select().from(table);
  }
  return tables;
}

function operations(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(() => !SKIPPED.some((pattern) => pattern.test(path)))
      .map(([method, operation]) => ({ ...operation, method: method.toUpperCase(), path })),
  );
}

/** Lists the JSON body's property names, so generated bodies often reach field validation. */
function bodyKeys(operation: Operation, document: OpenApiDocument): string[] {
  let schema = operation.requestBody?.content?.["application/json"]?.schema;
  if (schema?.$ref) schema = document.components?.schemas?.[schema.$ref.split("/").pop() ?? ""];
  return Object.keys(schema?.properties ?? {});
}

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "",
    "0",
    "-1",
    "../..",
    "%00",
    "null",
    "1e999",
    "a".repeat(5000),
    "'; drop table users; --",
  ),
);

function bodyFor(keys: string[]): fc.Arbitrary<string | undefined> {
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileText);
  const shaped =
    keys.length === 0
      ? fc.jsonValue({ maxDepth: 3 })
      : fc.dictionary(fc.constantFrom(...keys, "extra"), value, { maxKeys: keys.length + 1 });
  return fc.oneof(
    { weight: 6, arbitrary: shaped.map((body) => JSON.stringify(body)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 100, max: 5000 })
        .map((depth) => "[".repeat(depth) + "]".repeat(depth)),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Logs in as an admin and returns the session cookie. */
async function adminCookie(app: FullApp, handle: store.DatabaseHandle): Promise<string> {
  await seedUser(handle, "admin", "admin");
  const response = await app.request("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: TEST_PASSWORD }),
  });
  return (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

describe.each(ENGINES)("REST fuzz on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("every route answers 2xx or 4xx", async () => {
    const handle = database();
    const app = fullApp(handle);
    const cookie = await adminCookie(app, handle);
    const seeded = await seedProject(handle);
    const ids = [seeded.registry.id, seeded.project.id, seeded.dev.id, seeded.prod.id];
    const document = await json<OpenApiDocument>(
      await app.request("/api/v1/openapi.json", { headers: { cookie } }),
    );
    const walked = operations(document);
    const statuses = new Map<number, number>();

    for (const operation of walked) {
      const pathParameters = (operation.parameters ?? []).filter((p) => p.in === "path");
      const queryParameters = (operation.parameters ?? []).filter((p) => p.in === "query");
      // DELETE with a real id would empty the seeded rows the other routes need.
      const idValue =
        operation.method === "DELETE"
          ? hostileText
          : fc.oneof(fc.constantFrom(...ids), hostileText);
      await fc.assert(
        fc.asyncProperty(
          fc.array(idValue, { minLength: pathParameters.length, maxLength: pathParameters.length }),
          fc.array(hostileText, {
            minLength: queryParameters.length,
            maxLength: queryParameters.length,
          }),
          bodyFor(bodyKeys(operation, document)),
          fc.constantFrom("application/json", "text/plain", undefined),
          async (pathValues, queryValues, body, contentType) => {
            const path = pathParameters.reduce(
              (text, parameter, index) =>
                text.replace(`{${parameter.name}}`, encodeURIComponent(pathValues[index] ?? "")),
              operation.path,
            );
            const query = new URLSearchParams(
              queryParameters.map((p, index): [string, string] => [
                p.name,
                queryValues[index] ?? "",
              ]),
            );
            const before = await snapshot(handle.db);

            const headers: Record<string, string> = { cookie };
            if (contentType) headers["content-type"] = contentType;
            const response = await app.request(`/api/v1${path}?${query}`, {
              method: operation.method,
              headers,
              ...(body === undefined || operation.method === "GET" ? {} : { body }),
            });
            const answer = await response.text();
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);

            // 503 is the documented status when no Docker engine is reachable, as in this test.
            const noEngine = response.status === 503 && answer.includes('"code":"unavailable"');
            expect(
              response.status < 500 || noEngine,
              `${operation.method} ${path}: ${answer}`,
            ).toBe(true);
            if (response.status >= 400) {
              const message = (JSON.parse(answer) as { error?: { message?: unknown } }).error
                ?.message;
              expect(typeof message).toBe("string");
              expect(String(message)).not.toMatch(/TypeError|\[object/);
              expect(await snapshot(handle.db), `${operation.method} ${path} changed rows`).toEqual(
                before,
              );
            }
          },
        ),
        RUNS,
      );
    }

    expect(walked.length).toBeGreaterThan(20);
    expect([...statuses.keys()].filter((status) => status >= 400).length).toBeGreaterThan(3);
  }, 120_000);
});
