import { randomUUID } from "node:crypto";
import { apiTokens, queueDeploy } from "@berth/store";
import { describe, expect, test } from "vitest";
import { createEventHub } from "../src/events/hub.js";
import { ENGINES, errorOf, json, useDatabase } from "./helpers.js";
import { type Call, fullApp, signedIn } from "./ops-helpers.js";
import {
  limitedCaller,
  type OwnedRows,
  seedTwoProjects,
  snapshotRows,
} from "./project-token-helpers.js";

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

interface Route {
  method: string;
  path: string;
}

/** Project-owned path prefixes with `{id}`, and the row of project B each one takes. */
const OWNED_ID_ROUTES: Array<{ prefix: string; idOf: (rows: OwnedRows) => string }> = [
  { prefix: "/projects/{id}", idOf: (rows) => rows.project.id },
  { prefix: "/stages/{id}", idOf: (rows) => rows.dev.id },
  { prefix: "/deploys/{id}", idOf: (rows) => rows.succeeded.id },
  { prefix: "/instances/{id}", idOf: (rows) => rows.instance.id },
];

/** Replaces the id in an error message, so the responses for two ids can be compared. */
function withoutId(message: string, id: string): string {
  return message.replaceAll(id, "<id>");
}

/** Returns the status and the error with the id masked; `/logs` streams are never read. */
async function answerOf(call: Call, method: string, path: string, id: string, body?: unknown) {
  const response = await call(method, path, body ?? (method === "GET" ? undefined : {}));
  if (response.status < 400) {
    await response.body?.cancel();
    return { status: response.status, code: null, message: null };
  }
  const error = await errorOf(response);
  return { status: response.status, code: error.code, message: withoutId(error.message, id) };
}

describe.each(ENGINES)("project-limited tokens on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const handle = database();
    const app = fullApp(handle);
    const admin = await signedIn(app, handle, "admin");
    const seeded = await seedTwoProjects(handle);
    const { call: limited, tokenId } = await limitedCaller(app, admin, seeded.a.project.id);
    return { handle, app, admin, limited, tokenId, ...seeded };
  }

  async function documentedRoutes(call: Call): Promise<Route[]> {
    const document = await json<OpenApiDocument>(await call("GET", "/openapi.json"));
    return Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
  }

  test("ids of another project answer 404", async () => {
    const { handle, admin, limited, b } = await setup();
    const routes = (await documentedRoutes(admin)).flatMap((route) => {
      const owned = OWNED_ID_ROUTES.find((entry) => route.path.startsWith(entry.prefix));
      return owned ? [{ ...route, id: owned.idOf(b) }] : [];
    });
    const before = await snapshotRows(handle);
    const different: string[] = [];

    for (const route of routes) {
      const missing = randomUUID();
      const swapped = await answerOf(
        limited,
        route.method,
        route.path.replace("{id}", route.id),
        route.id,
      );
      const unknown = await answerOf(
        admin,
        route.method,
        route.path.replace("{id}", missing),
        missing,
      );
      expect(swapped.status, `${route.method} ${route.path}`).toBe(404);
      if (JSON.stringify(swapped) !== JSON.stringify(unknown)) {
        different.push(`${route.method} ${route.path}: ${JSON.stringify([swapped, unknown])}`);
      }
    }

    expect(different).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(19);
    expect(await snapshotRows(handle)).toBe(before);
  });

  test("ids of another project in a body read as unknown", async () => {
    const { handle, admin, limited, a, b } = await setup();
    const cases = [
      {
        method: "POST",
        path: "/deploys",
        body: (id: string) => ({ stageId: id, tag: "2.0.0" }),
        id: b.dev.id,
      },
      {
        method: "POST",
        path: "/deploys/promote",
        body: (id: string) => ({ stageId: id }),
        id: b.prod.id,
      },
      {
        method: "POST",
        path: "/stages",
        body: (id: string) => ({ projectId: id, name: "qa", policy: { kind: "semver" } }),
        id: b.project.id,
      },
      {
        method: "PATCH",
        path: `/stages/${a.prod.id}`,
        body: (id: string) => ({ promoteFromStageId: id }),
        id: b.dev.id,
      },
    ];
    const before = await snapshotRows(handle);

    for (const { method, path, body, id } of cases) {
      const missing = randomUUID();
      const swapped = await answerOf(limited, method, path, id, body(id));
      const unknown = await answerOf(admin, method, path, missing, body(missing));

      expect(swapped.status, `${method} ${path}`).toBe(422);
      expect(swapped, `${method} ${path}`).toEqual(unknown);
    }
    expect(await snapshotRows(handle)).toBe(before);
  });

  test("lists contain only the project", async () => {
    const { limited, a, b } = await setup();
    const ids = async (path: string, key: string) => {
      const response = await limited("GET", path);
      expect(response.status, path).toBe(200);
      const body = await json<Record<string, Array<{ id: string }>>>(response);
      return (body[key] ?? []).map((row) => row.id).sort();
    };

    expect(await ids("/projects", "projects")).toEqual([a.project.id]);
    expect(await ids("/stages", "stages")).toEqual([a.dev.id, a.prod.id].sort());
    expect(await ids(`/stages?projectId=${b.project.id}`, "stages")).toEqual([]);
    expect(await ids("/deploys", "deploys")).toEqual([a.succeeded.id, a.pending.id].sort());
    expect(await ids(`/deploys?projectId=${b.project.id}`, "deploys")).toEqual([]);
    expect(await ids(`/deploys?stageId=${b.dev.id}`, "deploys")).toEqual([]);
    expect(await ids("/instances", "instances")).toEqual([a.instance.id]);
    expect(await ids(`/instances?stageId=${b.dev.id}`, "instances")).toEqual([]);
  });

  test("own project stays usable", async () => {
    const { limited, a } = await setup();

    expect((await limited("GET", `/projects/${a.project.id}`)).status).toBe(200);
    expect((await limited("PATCH", `/projects/${a.project.id}`, { name: "Shop" })).status).toBe(
      200,
    );
    expect((await limited("GET", `/deploys/${a.succeeded.id}/log`)).status).toBe(200);
    expect((await limited("GET", `/instances/${a.instance.id}`)).status).toBe(200);
    expect((await limited("POST", `/deploys/${a.pending.id}/approve`)).status).toBe(200);
    expect((await limited("POST", "/deploys", { stageId: a.dev.id, tag: "2.0.0" })).status).toBe(
      201,
    );
    const stage = { projectId: a.project.id, name: "qa", policy: { kind: "semver" } };
    expect((await limited("POST", "/stages", stage)).status).toBe(201);
  });

  test("me shows the project limit", async () => {
    const { limited, a } = await setup();

    const me = await json<{ token: { project: unknown } }>(await limited("GET", "/auth/me"));

    expect(me.token.project).toEqual({ id: a.project.id, slug: "shop" });
  });

  test("global actions answer 403 naming the limit", async () => {
    const { handle, limited, a, other } = await setup();
    const before = await snapshotRows(handle);
    const cases: Array<[string, string, unknown?]> = [
      ["POST", "/projects", { slug: "new", name: "new", registryId: a.project.registryId }],
      ["PATCH", `/projects/${a.project.id}`, { registryId: other.id }],
      ["POST", "/tokens", { name: "more", scope: "read", projectId: a.project.id }],
      ["GET", "/tokens"],
      ["GET", "/registries"],
      ["GET", "/settings"],
      ["POST", "/quick-deploy", { image: "127.0.0.1:9/acme/shop:1.0.0", slug: "quick" }],
    ];

    for (const [method, path, body] of cases) {
      const response = await limited(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      const { message } = await errorOf(response);
      expect(message, `${method} ${path}`).toContain("is limited to project shop");
      expect(message, `${method} ${path}`).toContain("token without a project limit");
    }
    expect(await snapshotRows(handle)).toBe(before);
  });

  test("tags are listed for the project repository only", async () => {
    const { limited, registry, other } = await setup();
    const tags = (registryId: string, repository: string) =>
      limited("GET", `/registries/${registryId}/tags?repository=${repository}`);

    const own = await tags(registry.id, "acme/shop");
    const otherRepository = await tags(registry.id, "acme/blog");
    const otherRegistry = await tags(other.id, "acme/shop");

    // The registry is a closed local port, so the own listing gets through to a 502.
    expect(own.status).toBe(502);
    expect(otherRepository.status).toBe(403);
    expect(otherRegistry.status).toBe(403);
  });

  test("token creation rejects a bad project", async () => {
    const { handle, admin } = await setup();
    const missing = randomUUID();
    const cases: Array<[unknown, string]> = [
      [missing, missing],
      [42, "42"],
      ["shop", '"shop"'],
    ];
    const before = await handle.db.select().from(apiTokens);

    for (const [projectId, named] of cases) {
      const response = await admin("POST", "/tokens", { name: "bad", scope: "read", projectId });
      expect(response.status, String(projectId)).toBe(422);
      expect((await errorOf(response)).message, String(projectId)).toContain(named);
    }
    expect(await handle.db.select().from(apiTokens)).toEqual(before);
  });

  test("token list shows the project", async () => {
    const { admin, tokenId, a } = await setup();

    const list = await json<{ tokens: Array<{ id: string; projectId: string | null }> }>(
      await admin("GET", "/tokens"),
    );

    expect(list.tokens.find((token) => token.id === tokenId)?.projectId).toBe(a.project.id);
  });

  test("session user sees every project", async () => {
    const { admin, a, b } = await setup();

    const list = await json<{ projects: Array<{ id: string }> }>(await admin("GET", "/projects"));

    expect(list.projects.map((project) => project.id).sort()).toEqual(
      [a.project.id, b.project.id].sort(),
    );
    expect((await admin("GET", `/stages/${b.dev.id}`)).status).toBe(200);
    expect((await admin("GET", `/instances/${b.instance.id}`)).status).toBe(200);
  });

  test("deleting the project ends its tokens", async () => {
    const { admin, limited, a } = await setup();

    expect((await admin("DELETE", `/projects/${a.project.id}`)).status).toBe(204);

    expect((await limited("GET", "/projects")).status).toBe(401);
  });

  test("event stream carries the project only", async () => {
    const { handle, admin, a, b } = await setup();
    const hub = createEventHub({ db: handle.db, intervalMs: 50 });
    const app = fullApp(handle, { hub });
    const { call: limited } = await limitedCaller(app, admin, a.project.id, "read");
    const since = Date.now() - 1;
    // Project B's deploy is written first, so a stream that leaked it would send it before A's.
    await queueDeploy(handle.db, {
      stageId: b.dev.id,
      tag: "3.0.0",
      digest: null,
      trigger: "webhook",
    });
    await queueDeploy(handle.db, {
      stageId: a.dev.id,
      tag: "3.0.0",
      digest: null,
      trigger: "webhook",
    });

    const response = await limited("GET", "/events", undefined, { "last-event-id": String(since) });
    const text = await readUntil(response, `"stageId":"${a.dev.id}"`);
    await hub.close();

    expect(text).toContain(a.dev.id);
    expect(text).not.toContain(b.dev.id);
  });
});

/** Reads a stream until the text appears, or 10 s pass, and returns what came. */
async function readUntil(response: Response, marker: string): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 10_000;
  let text = "";
  try {
    while (!text.includes(marker) && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<"late">((resolve) => setTimeout(() => resolve("late"), deadline - Date.now())),
      ]);
      if (chunk === "late" || chunk.done) {
        break;
      }
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel();
  }
  return text;
}
