import { queueDeploy } from "@berth/store";
import { describe, expect, test } from "vitest";
import { formatMetrics } from "../src/metrics/prometheus.js";
import { ENGINES, errorOf, useDatabase } from "./helpers.js";
import { fullApp, seedProject } from "./ops-helpers.js";

const counters = {
  cycles: 7,
  stagesPolled: 21,
  candidates: 3,
  errors: 2,
  rateLimited: 1,
  leasesLost: 0,
};

describe.each(ENGINES)("/metrics on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("reports poll, deploy and webhook figures", async () => {
    const handle = database();
    const { dev } = await seedProject(handle);
    await queueDeploy(handle.db, { stageId: dev.id, tag: "1", digest: null, trigger: "manual" });
    const app = fullApp(handle, { pollerCounters: () => counters });

    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    expect(text).toContain("# TYPE berth_poll_cycles_total counter\nberth_poll_cycles_total 7\n");
    expect(text).toContain("berth_candidates_total 3");
    expect(text).toContain("berth_registry_errors_total 2");
    expect(text).toContain('berth_deploys{status="queued"} 1');
    expect(text).toContain("# TYPE berth_webhook_deliveries gauge");
  });

  test("token protects the metrics", async () => {
    const app = fullApp(database(), { metricsToken: "scrape-secret" });
    const missing = await app.request("/metrics");
    expect(missing.status).toBe(401);
    expect((await errorOf(missing)).message).toContain("BERTH_METRICS_TOKEN");
    const wrong = await app.request("/metrics", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const right = await app.request("/metrics", {
      headers: { authorization: "Bearer scrape-secret" },
    });
    expect(right.status).toBe(200);
  });
});

test("escapes label values and help text", () => {
  const text = formatMetrics([
    {
      name: "x",
      help: "a\nb",
      type: "gauge",
      samples: [{ labels: { source: 'say "hi"\\' }, value: Number.POSITIVE_INFINITY }],
    },
  ]);
  expect(text).toBe('# HELP x a\\nb\n# TYPE x gauge\nx{source="say \\"hi\\"\\\\"} +Inf\n');
});
