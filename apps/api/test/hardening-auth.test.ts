import type { DatabaseHandle } from "@berth/store";
import { describe, expect, test } from "vitest";
import { ENGINES, json, seedUser, TEST_PASSWORD, useDatabase } from "./helpers.js";
import { type FullApp, fullApp, seedProject } from "./ops-helpers.js";

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

interface Route {
  method: string;
  path: string;
}

/** Routes anyone may call: signing in, health, the API description and the signed webhooks. */
const PUBLIC = [
  /^POST \/auth\/login$/,
  /^GET \/health/,
  /^GET \/openapi\.json$/,
  /^POST \/hooks\//,
];

/** Routes for the signed-in user's own account, which a read-only token may still call. */
const OWN_ACCOUNT = [/^POST \/auth\/logout$/];

/**
 * Routes a token limited to one project may call: the rows of that project, the tags of its
 * repository, and the caller's own account. Creating a project is global, so `POST /projects`
 * is not among them.
 */
const PROJECT_OWNED = [
  /^(GET|PATCH|DELETE) \/projects/,
  /^\S+ \/(stages|deploys|instances)(\/|$)/,
  /^GET \/registries\/\{id\}\/tags$/,
  /^GET \/events$/,
  /^(GET \/auth\/me|POST \/auth\/logout)$/,
];

/** Reads only admins may make, so a read token gets 403 there too. */
const ADMIN_READS = [/^GET \/users$/, /^GET \/audit$/];

/**
 * Router entries the OpenAPI document leaves out on purpose: the health probe and the document
 * itself, and the `?secret=` forms of the URL-secret webhooks, documented as `/{secret}`.
 */
const UNDOCUMENTED = [
  "GET /health",
  "GET /openapi.json",
  "POST /hooks/dockerhub",
  "POST /hooks/generic",
];

const isPublic = (route: Route) => PUBLIC.some((p) => p.test(`${route.method} ${route.path}`));

async function adminCookie(app: FullApp, handle: DatabaseHandle): Promise<string> {
  await seedUser(handle, "admin", "admin");
  const response = await app.request("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: TEST_PASSWORD }),
  });
  return (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

/** Lists the app's own routes under `/api/v1`, written the OpenAPI way (`{id}`). */
function routerRoutes(app: FullApp): Route[] {
  const seen = new Set<string>();
  const routes: Route[] = [];
  for (const route of app.routes) {
    if (route.method === "ALL" || !route.path.startsWith("/api/v1/")) continue;
    const path = route.path.slice("/api/v1".length).replace(/:(\w+)/g, "{$1}");
    const key = `${route.method} ${path}`;
    if (!seen.has(key)) {
      seen.add(key);
      routes.push({ method: route.method, path });
    }
  }
  return routes;
}

/** Calls a route with real ids in its path and reads only the status (`/events` never ends). */
async function status(app: FullApp, route: Route, ids: string[], headers: Record<string, string>) {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === "source" ? "gitea" : (ids[0] ?? ""),
  );
  const response = await app.request(`/api/v1${path}`, {
    method: route.method,
    headers: { ...headers, "content-type": "application/json" },
    ...(route.method === "GET" ? {} : { body: "{}" }),
  });
  await response.body?.cancel();
  return response.status;
}

describe.each(ENGINES)("authorization walk on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const handle = database();
    const app = fullApp(handle);
    const cookie = await adminCookie(app, handle);
    const seeded = await seedProject(handle);
    const created = await app.request("/api/v1/tokens", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ name: "ci-read", scope: "read" }),
    });
    const { secret } = await json<{ secret: string }>(created);
    const limited = await app.request("/api/v1/tokens", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ name: "ci-shop", scope: "admin", projectId: seeded.project.id }),
    });
    const limitedSecret = (await json<{ secret: string }>(limited)).secret;
    const document = await json<OpenApiDocument>(await app.request("/api/v1/openapi.json"));
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
    );
    const ids = [seeded.dev.id];
    return { app, cookie, secret, limitedSecret, documented, ids };
  }

  test("every router route is documented", async () => {
    const { app, documented } = await setup();
    const keys = new Set(documented.map((route) => `${route.method} ${route.path}`));

    const missing = routerRoutes(app)
      .map((route) => `${route.method} ${route.path}`)
      .filter((key) => !keys.has(key));

    expect(missing.sort()).toEqual([...UNDOCUMENTED].sort());
  });

  test("no session gets 401", async () => {
    const { app, documented, ids } = await setup();
    const answers: string[] = [];

    for (const route of documented.filter((r) => !isPublic(r))) {
      answers.push(`${route.method} ${route.path} ${await status(app, route, ids, {})}`);
    }

    expect(answers.filter((answer) => !answer.endsWith(" 401"))).toEqual([]);
    expect(answers.length).toBeGreaterThan(20);
  });

  test("read token cannot change anything", async () => {
    const { app, documented, ids, secret } = await setup();
    const bearer = { authorization: `Bearer ${secret}` };
    const wrong: string[] = [];

    for (const route of documented.filter((r) => !isPublic(r))) {
      const key = `${route.method} ${route.path}`;
      if (OWN_ACCOUNT.some((pattern) => pattern.test(key))) continue;
      const answer = await status(app, route, ids, bearer);
      const changes = route.method !== "GET";
      const adminRead = ADMIN_READS.some((pattern) => pattern.test(key));
      if (changes || adminRead ? answer !== 403 : answer === 401 || answer === 403) {
        wrong.push(`${key} ${answer}`);
      }
    }

    expect(wrong).toEqual([]);
  });

  test("project token is let into project routes only", async () => {
    const { app, documented, ids, limitedSecret } = await setup();
    const bearer = { authorization: `Bearer ${limitedSecret}` };
    const wrong: string[] = [];

    for (const route of documented.filter((r) => !isPublic(r))) {
      const key = `${route.method} ${route.path}`;
      const answer = await status(app, route, ids, bearer);
      const owned = PROJECT_OWNED.some((pattern) => pattern.test(key));
      if (owned ? answer === 401 || answer === 403 : answer !== 403) {
        wrong.push(`${key} ${answer}`);
      }
    }

    expect(wrong).toEqual([]);
  });

  test("admin session is let in everywhere", async () => {
    const { app, documented, ids, cookie } = await setup();
    const refused: string[] = [];

    for (const route of documented) {
      if (/^\/auth\/(logout|password)$/.test(route.path)) continue;
      const answer = await status(app, route, ids, { cookie });
      if (answer === 401 || answer === 403) refused.push(`${route.method} ${route.path} ${answer}`);
    }

    expect(refused.filter((line) => !line.includes("/hooks/"))).toEqual([]);
  });
});
