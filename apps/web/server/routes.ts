import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";

export interface DashboardRoutesOptions {
  /** Path prefix of the API. Unknown paths under it get the API's 404, never the page. Default `/api/`. */
  apiPrefix?: string;
}

/** Files under `_app/immutable/` carry a content hash in their name, so they never change. */
const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";

/**
 * Serves the dashboard's static build from `dir`: files as they are, and `index.html` for
 * any other GET outside the API prefix, so a reload on `/deploys/<id>` opens that page.
 * Mount it after the API routes: `app.route("/", dashboardRoutes(dashboardDir))`.
 *
 * @throws Error when `dir` has no `index.html`, naming the folder and the build command.
 */
export function dashboardRoutes(dir: string, options: DashboardRoutesOptions = {}): Hono {
  const root = path.resolve(dir);
  const indexFile = path.join(root, "index.html");
  if (!existsSync(indexFile)) {
    throw new Error(
      `dashboard build not found: ${indexFile} is missing; run \`pnpm --filter @berth/web build\``,
    );
  }
  const apiPrefix = options.apiPrefix ?? "/api/";
  const app = new Hono();

  app.use("/_app/immutable/*", async (c, next) => {
    await next();
    if (c.res.ok) {
      c.header("Cache-Control", IMMUTABLE_CACHE);
    }
  });
  app.use("*", serveStatic({ root }));

  app.get("*", async (c, next) => {
    if (c.req.path.startsWith(apiPrefix) || c.req.path === apiPrefix.replace(/\/$/, "")) {
      return next();
    }
    // The page is read per request so a rebuild shows without a restart; it is a few kB.
    const html = await readFile(indexFile, "utf8");
    c.header("Cache-Control", "no-cache");
    return c.html(html);
  });

  return app;
}
