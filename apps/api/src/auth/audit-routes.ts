import { listAuditEntries } from "@berth/store";
import { Hono } from "hono";
import { z } from "zod";
import { type RequireAuthDeps, requireAuth } from "./middleware.js";
import type { AuthEnv } from "./principal.js";

export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Id of the last entry of the previous page. */
  before: z.coerce.number().int().positive().optional(),
});

/** Routes under `/api/v1/audit`, for admins: `GET /` pages through the audit log, newest first. */
export function auditRoutes(deps: RequireAuthDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use(requireAuth(deps, "admin"));

  app.get("/", async (c) => {
    const query = auditQuery.parse(c.req.query());
    return c.json({ entries: await listAuditEntries(deps.db, query) });
  });

  return app;
}
