import { subscribe, unsubscribe } from "node:diagnostics_channel";

/** Counts HTTP requests made by this process through fetch (undici) and node:http. */
export function countRequests(): { count(): number; stop(): void } {
  let count = 0;
  const onRequest = () => {
    count += 1;
  };
  const channels = ["undici:request:create", "http.client.request.start"];
  for (const channel of channels) {
    subscribe(channel, onRequest);
  }
  return {
    count: () => count,
    stop: () => {
      for (const channel of channels) {
        unsubscribe(channel, onRequest);
      }
    },
  };
}

export interface Measurement {
  wallMs: number;
  requests: number;
  /** Highest resident set size sampled while the work ran, in MiB. */
  peakRssMiB: number;
  /** Highest heap use sampled while the work ran, minus the heap before it, in MiB. */
  heapGrowthMiB: number;
}

/** Runs `work` once, measuring wall time, HTTP requests and memory sampled every 20 ms. */
export async function measure(work: () => Promise<unknown>): Promise<Measurement> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage().rss;
  let peakHeap = heapBefore;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const requests = countRequests();
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
    requests.stop();
  }
  sample();
  const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return {
    wallMs: Math.round(performance.now() - started),
    requests: requests.count(),
    peakRssMiB: mib(peakRss),
    heapGrowthMiB: mib(peakHeap - heapBefore),
  };
}
