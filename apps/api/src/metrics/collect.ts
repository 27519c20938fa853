import type { PollerCounters, RegistryRateLimit } from "@berth/poller";
import { type Database, deploys, webhookDeliveries } from "@berth/store";
import { count } from "drizzle-orm";
import type { Metric } from "./prometheus.js";

/** Sources of the figures: the poller of this process and the shared database. */
export interface MetricSources {
  db: Database;
  /** This process's poller totals since it started, or undefined when it is not running. */
  pollerCounters?: (() => PollerCounters) | undefined;
  /** The pull allowance each registry last reported to this process's poller. */
  registryRateLimits?: (() => RegistryRateLimit[]) | undefined;
}

/**
 * Reads every metric now. Deploys and webhook deliveries are counted in the database, so
 * every Berth process reports the same totals. Poll figures and rate-limit allowances are
 * this process's own.
 */
export async function collectMetrics(sources: MetricSources): Promise<Metric[]> {
  const [deployRows, deliveryRows] = await Promise.all([
    sources.db
      .select({ status: deploys.status, total: count() })
      .from(deploys)
      .groupBy(deploys.status),
    sources.db
      .select({
        source: webhookDeliveries.source,
        result: webhookDeliveries.result,
        total: count(),
      })
      .from(webhookDeliveries)
      .groupBy(webhookDeliveries.source, webhookDeliveries.result),
  ]);

  return [
    ...pollerMetrics(sources.pollerCounters?.()),
    rateLimitMetric(sources.registryRateLimits?.() ?? []),
    {
      name: "berth_deploys",
      help: "Deploys in the database by status (succeeded, failed, rolled_back, ...).",
      type: "gauge",
      samples: deployRows.map((row) => ({ labels: { status: row.status }, value: row.total })),
    },
    {
      name: "berth_webhook_deliveries",
      help: "Webhook deliveries recorded in the database by source and result.",
      type: "gauge",
      samples: deliveryRows.map((row) => ({
        labels: { source: row.source, result: row.result },
        value: row.total,
      })),
    },
  ];
}

function rateLimitMetric(limits: RegistryRateLimit[]): Metric {
  return {
    name: "berth_registry_ratelimit_remaining",
    help: "Pulls left in the registry's window, from the last ratelimit-remaining header it sent this process.",
    type: "gauge",
    samples: limits.map((limit) => ({
      labels: { registry: limit.registry },
      value: limit.remaining,
    })),
  };
}

function pollerMetrics(counters: PollerCounters | undefined): Metric[] {
  const counter = (name: string, help: string, value: number | undefined): Metric => ({
    name,
    help,
    type: "counter",
    samples: value === undefined ? [] : [{ value }],
  });
  return [
    counter("berth_poll_cycles_total", "Poll cycles this process ran.", counters?.cycles),
    counter("berth_poll_stages_total", "Stages this process polled.", counters?.stagesPolled),
    counter(
      "berth_candidates_total",
      "New candidates this process's poller and webhook checks found.",
      counters?.candidates,
    ),
    counter(
      "berth_registry_errors_total",
      "Stage polls that failed with a registry error in this process.",
      counters?.errors,
    ),
    counter(
      "berth_registry_rate_limited_total",
      "Registry answers of 429 that paused polling in this process.",
      counters?.rateLimited,
    ),
  ];
}
