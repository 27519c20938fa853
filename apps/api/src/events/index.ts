export type { BerthEvent } from "./changes.js";
export { createEventHub, type EventHub, type EventHubOptions } from "./hub.js";
export { type EventRoutesDeps, eventRoutes } from "./routes.js";
