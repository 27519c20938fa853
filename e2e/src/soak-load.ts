/**
 * The load of the soak scenario, each part on 127.0.0.1 only: rounds of concurrent signed
 * webhook deliveries, dashboard clients following `/api/v1/events`, an API client timing
 * GETs, and a sampler of each Berth process's resident memory.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { BerthProcess } from "./berth-process.js";
import { sendGiteaPush } from "./gitea-hook.js";

/** Timings of one route, in ms, and how many requests failed. */
export interface RouteTimings {
  latenciesMs: number[];
  failures: number;
}

/** One webhook delivery to send: which process, which image and tag. */
export interface Delivery {
  berthUrl: string;
  name: string;
  tag: string;
}

/**
 * Sends every delivery at once and records each request's time to its response under the
 * route `POST /hooks/gitea`. A status other than 202 counts as a failure.
 */
export async function sendDeliveries(
  deliveries: readonly Delivery[],
  common: { secret: string; registryHost: string; owner: string },
  timings: Map<string, RouteTimings>,
): Promise<void> {
  const route = timingsOf(timings, "POST /hooks/gitea");
  await Promise.all(
    deliveries.map(async (delivery) => {
      const started = performance.now();
      const status = await sendGiteaPush({
        berthUrl: delivery.berthUrl,
        secret: common.secret,
        registryHost: common.registryHost,
        owner: common.owner,
        name: delivery.name,
        tag: delivery.tag,
      }).catch(() => 0);
      route.latenciesMs.push(performance.now() - started);
      if (status !== 202) route.failures += 1;
    }),
  );
}

export function timingsOf(timings: Map<string, RouteTimings>, route: string): RouteTimings {
  let found = timings.get(route);
  if (!found) {
    found = { latenciesMs: [], failures: 0 };
    timings.set(route, found);
  }
  return found;
}

/** What one dashboard client saw on `/api/v1/events`. */
export interface SseClientResult {
  berthUrl: string;
  /** Events other than the opening `ready`. */
  events: number;
  /** Why the stream failed or ended before `stop`, or undefined when it did not. */
  error: string | undefined;
}

export interface SseClient {
  /** Closes the stream and returns what the client saw. */
  stop(): Promise<SseClientResult>;
}

/** Opens `/api/v1/events` as the dashboard does and counts the events until stopped. */
export function followEvents(berthUrl: string, token: string): SseClient {
  const controller = new AbortController();
  const result: SseClientResult = { berthUrl, events: 0, error: undefined };
  const done = readEvents(berthUrl, token, controller.signal, result).catch((error: unknown) => {
    if (!controller.signal.aborted) {
      result.error = error instanceof Error ? error.message : String(error);
    }
  });
  return {
    async stop() {
      controller.abort();
      await done;
      return result;
    },
  };
}

async function readEvents(
  berthUrl: string,
  token: string,
  signal: AbortSignal,
  result: SseClientResult,
): Promise<void> {
  const response = await fetch(`${berthUrl}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    signal,
  });
  if (response.status !== 200 || !response.body) {
    throw new Error(`GET /events answered ${response.status}`);
  }
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("event:") && line.slice(6).trim() !== "ready") {
        result.events += 1;
      }
    }
  }
  if (!signal.aborted) {
    throw new Error("the event stream ended before the client closed it");
  }
}

/** The GETs the dashboard makes most, timed in turn by `timeRoutes`. */
export const TIMED_ROUTES = ["/deploys?limit=50", "/stages", "/instances", "/projects"] as const;

/**
 * GETs each of `TIMED_ROUTES` in turn, from each process in turn, with `pauseMs` between
 * requests, until `signal` aborts. Records each time under `GET <route>`.
 */
export async function timeRoutes(
  berthUrls: readonly string[],
  token: string,
  timings: Map<string, RouteTimings>,
  options: { pauseMs: number; signal: AbortSignal },
): Promise<void> {
  for (let turn = 0; !options.signal.aborted; turn += 1) {
    const path = TIMED_ROUTES[turn % TIMED_ROUTES.length] ?? "/projects";
    const berthUrl = berthUrls[Math.floor(turn / TIMED_ROUTES.length) % berthUrls.length] ?? "";
    const route = timingsOf(timings, `GET ${path.split("?")[0]}`);
    const started = performance.now();
    try {
      const response = await fetch(`${berthUrl}/api/v1${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      route.latenciesMs.push(performance.now() - started);
      if (response.status !== 200) route.failures += 1;
    } catch {
      route.failures += 1;
    }
    await sleep(options.pauseMs, options.signal);
  }
}

/** Resident memory samples of one process, in MB, with the ms since the sampler started. */
export interface RssSamples {
  pid: number;
  samples: Array<{ atMs: number; rssMb: number }>;
}

/** Reads VmRSS of each process every `intervalMs` until `signal` aborts. */
export async function sampleRss(
  processes: readonly BerthProcess[],
  options: { intervalMs: number; signal: AbortSignal },
): Promise<RssSamples[]> {
  const series = processes.map((process) => ({
    pid: process.pid ?? 0,
    samples: [] as RssSamples["samples"],
  }));
  const startedAt = performance.now();
  while (!options.signal.aborted) {
    for (const entry of series) {
      const rssMb = await readRssMb(entry.pid);
      if (rssMb !== undefined) {
        entry.samples.push({ atMs: Math.round(performance.now() - startedAt), rssMb });
      }
    }
    await sleep(options.intervalMs, options.signal);
  }
  return series;
}

/** Returns VmRSS from `/proc/<pid>/status` in MB, or undefined once the process is gone. */
export async function readRssMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kilobytes = status ? /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] : undefined;
  return kilobytes ? Number(kilobytes) / 1024 : undefined;
}

/** The machine's one-minute load average at one moment, with the ms since sampling started. */
export interface LoadAverageSample {
  atMs: number;
  oneMinute: number;
}

/** Reads the one-minute load average every `intervalMs` until `signal` aborts. */
export async function sampleLoadAverage(options: {
  intervalMs: number;
  signal: AbortSignal;
}): Promise<LoadAverageSample[]> {
  const samples: LoadAverageSample[] = [];
  const startedAt = performance.now();
  while (!options.signal.aborted) {
    const atMs = Math.round(performance.now() - startedAt);
    samples.push({ atMs, oneMinute: os.loadavg()[0] ?? Number.NaN });
    await sleep(options.intervalMs, options.signal);
  }
  return samples;
}

/** Waits `ms`, or less when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
