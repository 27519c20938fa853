import type { DatabaseHandle } from "@berth/store";
import { Hono } from "hono";

/**
 * `GET /health`: 200 when the database responds and has every migration applied, else 503,
 * with the engine, the migration level and Berth's version either way.
 */
export function healthRoutes(deps: { database: DatabaseHandle; version: string }): Hono {
  const routes = new Hono();
  routes.get("/health", async (c) => {
    const status = await deps.database.status();
    const healthy = status.reachable && status.migration?.pending === 0;
    return c.json(
      {
        status: healthy ? "ok" : "unavailable",
        database: {
          engine: status.engine,
          reachable: status.reachable,
          migration: status.migration,
        },
        version: deps.version,
      },
      healthy ? 200 : 503,
    );
  });
  return routes;
}
