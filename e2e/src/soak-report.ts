/**
 * Turns a soak result into the figures the bench records in bench/results/soak.json and the
 * page it writes beside it.
 */
import { percentile } from "./latency.js";
import type { SoakResult } from "./soak.js";
import { flatnessRatio, median } from "./soak-layout.js";
import type { LogFigures } from "./soak-logs.js";
import {
  MEMORY_WINDOW_SECONDS,
  type MemoryRow,
  memoryFigures,
  renderMemorySection,
} from "./soak-memory-report.js";

export interface LatencyFigures {
  requests: number;
  failures: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

export interface ProcessFigures extends MemoryRow {
  pid: number;
  log: LogFigures;
}

export interface SoakFigures {
  machine: string;
  /** The 1, 5 and 15 min load averages when the run ended. */
  loadAverage: number[];
  /** The one-minute load average read every 10 s while memory was sampled. */
  loadAverageDuringRun: { readings: number; median: number | undefined; max: number | undefined };
  /** Width of one point of each process's memory `series`, in seconds. */
  memoryWindowSeconds: number;
  options: SoakResult["options"];
  loadSeconds: number;
  stages: number;
  rounds: number;
  deliveries: number;
  candidates: number;
  deploys: number;
  deploysByStatus: Record<string, number>;
  duplicates: number;
  missing: number;
  unfinished: number;
  autoDeployCandidates: number;
  autoDeploysNotSucceeded: number;
  drained: boolean;
  /** Every timed GET of the API client together; webhook deliveries are in `routes`. */
  api: LatencyFigures;
  routes: Record<string, LatencyFigures>;
  processes: ProcessFigures[];
  /** The highest flatness ratio over the processes, for the summary table. */
  worstFlatness: number | undefined;
  sse: { clients: number; events: number; minEventsPerClient: number; errors: string[] };
}

/** Computes the recorded figures; `machine` and `loadAverage` describe the run's machine. */
export function soakFigures(
  result: SoakResult,
  machine: string,
  loadAverage: number[],
): SoakFigures {
  const routes: Record<string, LatencyFigures> = {};
  const gets: number[] = [];
  let getFailures = 0;
  for (const [route, timings] of result.timings) {
    routes[route] = latencyFigures(timings.latenciesMs, timings.failures);
    if (route.startsWith("GET ")) {
      gets.push(...timings.latenciesMs);
      getFailures += timings.failures;
    }
  }
  const processes = result.processes.map((process) => processFigures(process));
  const ratios = processes.flatMap((process) =>
    process.flatness === undefined ? [] : [process.flatness],
  );
  const auto = result.announced.filter((candidate) => candidate.autoDeploy);
  const duringRun = result.loadAverages.map((sample) => sample.oneMinute);
  return {
    machine,
    loadAverage,
    loadAverageDuringRun: {
      readings: duringRun.length,
      median: roundOrUndefined(median(duringRun), 2),
      max: duringRun.length > 0 ? round(Math.max(...duringRun), 2) : undefined,
    },
    memoryWindowSeconds: MEMORY_WINDOW_SECONDS,
    options: result.options,
    loadSeconds: Math.round(result.loadMs / 1000),
    stages: result.options.stages,
    rounds: result.rounds,
    deliveries: result.deliveries,
    candidates: result.announced.length,
    deploys: result.deploys,
    deploysByStatus: result.findings.byStatus,
    duplicates: result.findings.duplicates.length,
    missing: result.findings.missing.length,
    unfinished: result.findings.unfinished.length,
    autoDeployCandidates: auto.length,
    autoDeploysNotSucceeded: result.findings.autoNotSucceeded.length,
    drained: result.drained,
    api: latencyFigures(gets, getFailures),
    routes,
    processes,
    worstFlatness: ratios.length > 0 ? Math.max(...ratios) : undefined,
    sse: {
      clients: result.sse.length,
      events: result.sse.reduce((sum, client) => sum + client.events, 0),
      minEventsPerClient: Math.min(...result.sse.map((client) => client.events)),
      errors: result.sse.flatMap((client) => (client.error ? [client.error] : [])),
    },
  };
}

function latencyFigures(latenciesMs: readonly number[], failures: number): LatencyFigures {
  const empty = latenciesMs.length === 0;
  return {
    requests: latenciesMs.length,
    failures,
    p50Ms: empty ? undefined : round(percentile(latenciesMs, 50)),
    p99Ms: empty ? undefined : round(percentile(latenciesMs, 99)),
  };
}

function processFigures(process: SoakResult["processes"][number]): ProcessFigures {
  const rss = process.rss.map((sample) => sample.rssMb);
  return {
    pid: process.pid,
    up: process.up,
    samples: rss.length,
    rssStartMb: roundOrUndefined(rss[0]),
    rssEndMb: roundOrUndefined(rss.at(-1)),
    rssMaxMb: rss.length > 0 ? round(Math.max(...rss)) : undefined,
    flatness: roundOrUndefined(flatnessRatio(rss), 3),
    log: process.log,
    ...memoryFigures(process.rss, process.heap),
  };
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function roundOrUndefined(value: number | undefined, digits = 1): number | undefined {
  return value === undefined ? undefined : round(value, digits);
}

/** Renders the figures as the Markdown page `bench/results/soak.md`. */
export function renderSoakPage(figures: SoakFigures): string {
  const o = figures.options;
  const routeRows = Object.entries(figures.routes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([route, f]) => latencyRow(route, f));
  const logRows = figures.processes.map(
    ({ log }, index) =>
      `| ${index + 1} | ${log.pollCycles} | ${ms(log.longestPollCycleMs)} | ${log.leasesLost} | ${log.busyStages} | ${log.errors}${log.errorMessages.length > 0 ? ` (${log.errorMessages.join("; ")})` : ""} |`,
  );
  const statuses = Object.entries(figures.deploysByStatus)
    .map(([status, count]) => `${status} ${count}`)
    .join(", ");
  const during = figures.loadAverageDuringRun;
  return `# Soak: ${o.processes} processes on one database under load

Machine: ${figures.machine}. Load average (1, 5, 15 min) at the end:
${figures.loadAverage.map((value) => value.toFixed(2)).join(", ")}. One-minute load average while memory was sampled,
read every 10 s: median ${during.median?.toFixed(2) ?? "–"}, max ${during.max?.toFixed(2) ?? "–"} (${during.readings} readings). The load generator, Postgres, the registry and podman
share the machine with Berth, and a load average above the core count means other work ran
too, so latencies are upper bounds for this machine.
Script: \`BENCH=soak pnpm --filter @berth/e2e bench\` (e2e/bench/soak.bench.ts, scenario in
e2e/src/soak.ts).

${o.processes} \`berth serve\` processes on one Postgres database, ${figures.stages} stages over
${o.repositories} repositories in a real docker-registry, polled every ${o.pollIntervalSeconds} s.
${o.autoDeployStages} stages deploy for real through podman; the others make candidates that
wait for approval. For ${figures.loadSeconds} s: a round every ${o.roundIntervalMs / 1000} s pushes
${o.tagsPerRound} new tags (${o.autoTagsPerRound} to an auto-deploy repository) and sends
${o.deliveriesPerRound} signed Gitea deliveries for them at once, split over the processes;
${o.sseClients} clients follow \`/api/v1/events\`; one client GETs deploys, stages, instances
and projects in turn with 100 ms pauses; each process's VmRSS and V8 heap are read every 3 s.

## Correctness

| figure | value |
|---|---|
| rounds | ${figures.rounds} |
| webhook deliveries | ${figures.deliveries} |
| candidates announced (stage, tag, digest) | ${figures.candidates} |
| deploys | ${figures.deploys} (${statuses}) |
| duplicated (stage, tag, digest), must be 0 | ${figures.duplicates} |
| announced candidates without a deploy | ${figures.missing} |
| deploys neither finished nor pending approval | ${figures.unfinished} |
| auto-deploy candidates / not succeeded | ${figures.autoDeployCandidates} / ${figures.autoDeploysNotSucceeded} |
| every candidate settled within the drain timeout | ${figures.drained ? "yes" : "no"} |
| SSE events received (all clients, fewest per client) | ${figures.sse.events} (${figures.sse.minEventsPerClient}) |
| SSE client errors | ${figures.sse.errors.length} |

## API latency

| route | requests | failures | p50 | p99 |
|---|---|---|---|---|
${latencyRow("all timed GETs", figures.api)}
${routeRows.join("\n")}

${renderMemorySection(figures.processes)}
## Polling per process, from its log

A poll lease lasts 600 s and is renewed every third of that while a check runs, so the other
process skips stages this one is polling; "leases lost" counts the times that failed.

| process | poll cycles | longest cycle | leases lost | stages busy in webhook checks | error lines |
|---|---|---|---|---|---|
${logRows.join("\n")}
`;
}

function latencyRow(route: string, f: LatencyFigures): string {
  return `| ${route} | ${f.requests} | ${f.failures} | ${ms(f.p50Ms)} | ${ms(f.p99Ms)} |`;
}

function ms(value: number | undefined): string {
  return value === undefined ? "–" : `${value.toFixed(0)} ms`;
}
