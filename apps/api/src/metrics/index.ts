export { collectMetrics, type MetricSources } from "./collect.js";
export { formatMetrics, type Metric, PROMETHEUS_CONTENT_TYPE } from "./prometheus.js";
export { type MetricsDeps, metricsRoutes } from "./routes.js";
