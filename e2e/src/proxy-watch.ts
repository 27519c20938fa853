/**
 * Samples what the proxy would serve for a domain while a deploy switches it: the stand-in's
 * proxy host for the domain, then a request to the upstream it forwards to. A sample where
 * no host exists, or where the upstream does not answer 200, is a gap.
 */
import type { NpmStandIn } from "@berth/testing";

export interface ProxySamples {
  count: number;
  gaps: string[];
  /** Distinct bodies the upstreams answered with, in the order first seen. */
  bodies: string[];
}

export interface ProxyWatcher {
  stop(): Promise<ProxySamples>;
}

/** Samples every `intervalMs` until stopped; at most `maxSamples` so the loop always ends. */
export function watchProxy(
  npm: NpmStandIn,
  domain: string,
  options: { intervalMs?: number; maxSamples?: number } = {},
): ProxyWatcher {
  const samples: ProxySamples = { count: 0, gaps: [], bodies: [] };
  let stopped = false;
  const loop = (async () => {
    while (!stopped && samples.count < (options.maxSamples ?? 3000)) {
      await sampleOnce(npm, domain, samples);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

async function sampleOnce(npm: NpmStandIn, domain: string, samples: ProxySamples): Promise<void> {
  samples.count += 1;
  const first = upstreamOf(npm, domain);
  if (!first) {
    samples.gaps.push(`sample ${samples.count}: no proxy host for ${domain}`);
    return;
  }
  let body = await get(first);

  // The switch may land between reading the host and the request: read the host again.
  const second = upstreamOf(npm, domain);
  if (body === undefined && second && second !== first) {
    body = await get(second);
  }
  if (body === undefined) {
    samples.gaps.push(`sample ${samples.count}: ${second ?? first} did not answer 200`);
    return;
  }
  if (!samples.bodies.includes(body)) samples.bodies.push(body);
}

function upstreamOf(npm: NpmStandIn, domain: string): string | undefined {
  const host = npm.proxyHosts().find((h) => h.domain_names.includes(domain) && h.enabled);
  return host ? `${host.forward_host}:${host.forward_port}` : undefined;
}

async function get(upstream: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${upstream}/`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.text()).trim();
    return response.ok ? body : undefined;
  } catch {
    return undefined;
  }
}
