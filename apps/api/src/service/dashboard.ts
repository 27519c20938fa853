import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";

/**
 * Where `pnpm --filter @berth/web build` writes the dashboard. Both `src/` and `dist/` sit two
 * levels below `apps/`, so one relative URL works from either. The folder is found by path
 * rather than by importing @berth/web, which depends on this package for its tests.
 */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../../web/build/", import.meta.url));

const NOT_BUILT = `Berth's dashboard is not built.
Build it with \`pnpm --filter @berth/web build\` and restart Berth, or set BERTH_WEB_DIR to a built dashboard folder.
The API is at /api/v1 (see /api/v1/openapi.json).
`;

/**
 * Serves the built dashboard at `/`: its files, and `index.html` for any other GET outside
 * `/api/`, so a reload on a client route opens that page. Without a build, `/` explains how to
 * make one.
 */
export function dashboard(dir: string = DEFAULT_WEB_DIR): Hono {
  const root = path.resolve(dir);
  const indexFile = path.join(root, "index.html");
  const app = new Hono();

  if (!existsSync(indexFile)) {
    app.get("/", (c) => c.text(NOT_BUILT, 200));
    return app;
  }

  app.use("/_app/immutable/*", async (c, next) => {
    await next();
    if (c.res.ok) {
      c.header("Cache-Control", "public, max-age=31536000, immutable");
    }
  });
  app.use("*", serveStatic({ root }));
  app.get("*", async (c, next) => {
    if (c.req.path === "/api" || c.req.path.startsWith("/api/") || c.req.path === "/metrics") {
      return next();
    }
    // Read per request so a rebuild shows without a restart. The file is a few kilobytes.
    c.header("Cache-Control", "no-cache");
    return c.html(await readFile(indexFile, "utf8"));
  });
  return app;
}
