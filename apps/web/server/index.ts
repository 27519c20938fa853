/**
 * What `berth serve` needs to serve the dashboard: the folder of the static build and a Hono
 * sub-app that serves it with the index fallback for client routes.
 */
export { dashboardDir } from "./dashboard-dir.js";
export { type DashboardRoutesOptions, dashboardRoutes } from "./routes.js";
