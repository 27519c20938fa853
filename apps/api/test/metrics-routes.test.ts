import http from "node:http";
import type { AddressInfo } from "node:net";
import { createPoller } from "@berth/poller";
import { queueDeploy } from "@berth/store";
import { pushTestImage, startRegistry } from "@berth/testing";
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

  test.each([
    { header: "42;w=21600", sample: 'berth_registry_ratelimit_remaining{registry="main"} 42\n' },
    { header: "soon", sample: undefined },
  ])(
    "rate-limit remaining from header $header",
    async ({ header, sample }) => {
      const registry = await startRegistry();
      const proxy = await startRateLimitedProxy(registry.url, header);
      const poller = createPoller({ db: database().db });
      try {
        await pushTestImage({ registry: registry.host, repository: "acme/shop", tag: "1.0.0" });
        const { dev } = await seedProject(database(), proxy.url, "acme/shop");
        const app = fullApp(database(), { registryRateLimits: () => poller.rateLimits() });

        const before = await (await app.request("/metrics")).text();
        expect(before).toContain("# TYPE berth_registry_ratelimit_remaining gauge");
        expect(before).not.toContain("berth_registry_ratelimit_remaining{");

        // A header that is not a count is ignored, so the registry reports no sample.
        await poller.pollNow(dev.id);
        const after = await (await app.request("/metrics")).text();
        if (sample === undefined) {
          expect(after).not.toContain("berth_registry_ratelimit_remaining{");
        } else {
          expect(after).toContain(sample);
        }
      } finally {
        await poller.stop();
        await proxy.close();
        await registry.stop();
      }
    },
    60_000,
  );

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

/**
 * Starts a proxy on 127.0.0.1 in front of a test registry that adds `ratelimit-remaining`
 * to every response, as Docker Hub does. The test registry sends no such header itself.
 */
async function startRateLimitedProxy(upstreamUrl: string, remaining: string) {
  const server = http.createServer(async (request, response) => {
    const upstream = await fetch(new URL(request.url ?? "/", upstreamUrl), {
      method: request.method ?? "GET",
      headers: { accept: request.headers.accept ?? "*/*" },
    });
    const headers: Record<string, string> = { "ratelimit-remaining": remaining };
    upstream.headers.forEach((value, name) => {
      if (name !== "transfer-encoding" && name !== "content-encoding") {
        headers[name] = value;
      }
    });
    response.writeHead(upstream.status, headers);
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
