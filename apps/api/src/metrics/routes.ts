import { Hono } from "hono";
import { ApiError } from "../http/errors.js";
import { secretsEqual } from "../webhooks/signature.js";
import { collectMetrics, type MetricSources } from "./collect.js";
import { formatMetrics, PROMETHEUS_CONTENT_TYPE } from "./prometheus.js";

export interface MetricsDeps extends MetricSources {
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

/** `GET /metrics` in Prometheus text format. */
export function metricsRoutes(deps: MetricsDeps): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    if (deps.token !== undefined) {
      const sent = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (sent === undefined || !secretsEqual(sent, deps.token)) {
        throw new ApiError(
          "unauthorized",
          `/metrics ${sent === undefined ? "needs" : "got a wrong"} token: send Authorization: Bearer <BERTH_METRICS_TOKEN>`,
        );
      }
    }
    const text = formatMetrics(await collectMetrics(deps));
    return c.body(text, 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });
  return app;
}
