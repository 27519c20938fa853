/**
 * Deploy pipeline overhead: the wall time of a deploy minus the time spent in engine calls
 * and in the health gate, over 20 deploys against podman, the local registry and the NPM
 * stand-in. The baseline is the same engine work done directly with the Docker client (pull,
 * create, start, wait for HTTP 200, remove the previous container), with no database, log or
 * proxy. Writes bench/results/deployer.md and deployer.json at the repository root.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getDeploy } from "@berth/store";
import { deployTag } from "../src/operations.js";
import { addStage, makeWorker, pushShop, type Rig, startRig } from "../test/support/rig.js";

const DEPLOYS = 20;
const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

interface Interval {
  start: number;
  end: number;
}

/** Wraps every method of a client so each call's interval is recorded. */
function timed<T extends object>(client: T, intervals: Interval[]): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          intervals.push({ start, end: performance.now() });
        }
      };
    },
  });
}

/** Total length of the union of intervals, so engine calls inside the gate count once. */
function unionLength(intervals: Interval[]): number {
  const sorted = [...intervals].sort((left, right) => left.start - right.start);
  let total = 0;
  let current: Interval | undefined;
  for (const interval of sorted) {
    if (current && interval.start <= current.end) {
      current.end = Math.max(current.end, interval.end);
      continue;
    }
    if (current) total += current.end - current.start;
    current = { ...interval };
  }
  return total + (current ? current.end - current.start : 0);
}

async function pipelineRun(rig: Rig, tags: string[]) {
  const stage = await addStage(rig, { name: "bench" });
  const samples: Array<{ wall: number; outside: number; proxy: number }> = [];
  for (const tag of tags) {
    const intervals: Interval[] = [];
    const proxyCalls: Interval[] = [];
    const worker = makeWorker(rig, {
      docker: timed(rig.docker, intervals),
      proxy: timed(rig.proxy, proxyCalls),
      onTiming: (kind, ms) => {
        if (kind === "health")
          intervals.push({ start: performance.now() - ms, end: performance.now() });
      },
    });
    const queued = await deployTag(rig.handle.db, { stageId: stage.id, tag, requestedBy: "bench" });
    const start = performance.now();
    await worker.runUntilIdle();
    const wall = performance.now() - start;
    const status = (await getDeploy(rig.handle.db, queued.id)).status;
    if (status !== "succeeded") throw new Error(`bench deploy of ${tag} ended ${status}`);
    samples.push({ wall, outside: wall - unionLength(intervals), proxy: unionLength(proxyCalls) });
  }
  return samples;
}

async function baselineRun(rig: Rig, tags: string[]): Promise<number[]> {
  const walls: number[] = [];
  let previous: string | undefined;
  for (const [index, tag] of tags.entries()) {
    const start = performance.now();
    const repository = `${rig.registry.host}/acme/shop`;
    const { digest } = await rig.docker.pull(repository, tag);
    await rig.docker.pull(repository, digest ?? tag);
    await rig.docker.inspectImage(`${repository}@${digest}`);
    const id = await rig.docker.createContainer({
      name: `baseline-${index}`,
      image: `${repository}@${digest}`,
      env: [],
      labels: {},
      binds: [],
      restartPolicy: "no",
      containerPort: 8080,
      publishOn: "127.0.0.1",
    });
    await rig.docker.startContainer(id);
    const port = (await rig.docker.inspectContainer(id))?.ports["8080/tcp"]?.hostPort;
    await waitForHttp(`http://127.0.0.1:${port}/health`);
    if (previous) {
      await rig.docker.stopContainer(previous, 1);
      await rig.docker.removeContainer(previous);
    }
    previous = id;
    walls.push(performance.now() - start);
  }
  if (previous) await rig.docker.removeContainer(previous);
  return walls;
}

/** Polls like the pipeline's HTTP check (every 200 ms), at most 10 s. */
async function waitForHttp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not return 200 within 10 s`);
}

function stats(values: number[]) {
  const sorted = [...values].sort((left, right) => left - right);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return { median: at(0.5), p90: at(0.9), mean };
}

async function main() {
  const rig = await startRig("pglite");
  try {
    const tags = Array.from({ length: DEPLOYS }, (_, index) => `p${index}`);
    const baselineTags = Array.from({ length: DEPLOYS }, (_, index) => `b${index}`);
    for (const tag of [...tags, ...baselineTags, "warm"]) await pushShop(rig, tag);
    // A first run warms podman up, so its first container start is in neither figure.
    await baselineRun(rig, ["warm"]);

    const samples = await pipelineRun(rig, tags);
    const baseline = stats(await baselineRun(rig, baselineTags));
    const overhead = stats(samples.map((sample) => sample.outside));
    const wall = stats(samples.map((sample) => sample.wall));
    const proxy = stats(samples.map((sample) => sample.proxy));
    await report({ overhead, proxy, wall, baseline });
  } finally {
    await rig.stop();
  }
}

async function report(
  figures: Record<"overhead" | "proxy" | "wall" | "baseline", ReturnType<typeof stats>>,
) {
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const machine = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`;
  const { overhead, proxy, wall, baseline } = figures;
  const lines = [
    "# Deployer: deploy pipeline overhead",
    "",
    `Machine: ${machine}. Engine: podman's Docker API service; database: PGlite in memory; NPM: the stand-in.`,
    "",
    `${DEPLOYS} deploys of a busybox httpd image on one stage (max_instances 1, HTTP health check every 200 ms).`,
    "Overhead = wall time of a deploy minus the time inside engine calls and the health gate:",
    "the registry digest lookup, database rows, deploy log lines, NPM calls and the pipeline's own code.",
    "",
    "| figure | median | p90 | mean |",
    "|---|---|---|---|",
    `| pipeline overhead per deploy | ${ms(overhead.median)} | ${ms(overhead.p90)} | ${ms(overhead.mean)} |`,
    `| of which NPM calls (stand-in) | ${ms(proxy.median)} | ${ms(proxy.p90)} | ${ms(proxy.mean)} |`,
    `| pipeline wall time per deploy | ${ms(wall.median)} | ${ms(wall.p90)} | ${ms(wall.mean)} |`,
    `| baseline: same engine work by hand | ${ms(baseline.median)} | ${ms(baseline.p90)} | ${ms(baseline.mean)} |`,
    "",
    `Ratio pipeline wall / baseline (median): ${(wall.median / baseline.median).toFixed(2)}.`,
    `Overhead share of the pipeline's wall time (median): ${((overhead.median / wall.median) * 100).toFixed(1)} %.`,
    "",
  ];
  await mkdir(RESULTS, { recursive: true });
  await writeFile(path.join(RESULTS, "deployer.md"), lines.join("\n"));
  await writeFile(
    path.join(RESULTS, "deployer.json"),
    `${JSON.stringify({ machine, deploys: DEPLOYS, ...figures }, null, 2)}\n`,
  );
  process.stdout.write(lines.join("\n"));
}

await main();
