/**
 * Registry benchmark. It lists tags and resolves one digest for 200 repositories on a local
 * docker-registry with Berth's OCI client, and does the same work with skopeo in the same run.
 * Then it times tag selection over 100,000 tags. Writes bench/results/registry.md and .json.
 *
 * Run: pnpm --filter @berth/registry bench
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import pLimit from "p-limit";
import { createRegistry, selectTag, type TagPolicy } from "../src/index.js";

const run = promisify(execFile);
const REPOSITORIES = 200;
const TAGS_PER_REPOSITORY = 3;
const CONCURRENCY = 8;
const SELECTION_TAGS = 100_000;
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "../../../bench/results");

interface LoopResult {
  wallMs: number;
  repositories: number;
  requests?: number;
  connections?: number;
}

async function main(): Promise<void> {
  if (!existsSync("/usr/bin/skopeo")) {
    throw new Error(
      "the registry benchmark compares with skopeo: run `apt-get install -y skopeo` as root",
    );
  }
  const server = await startRegistry();
  try {
    const repositories = await seed(server);
    // Best of two runs each, because other processes share the two cores.
    const berth = fastest(
      await berthLoop(server, repositories),
      await berthLoop(server, repositories),
    );
    const skopeo = fastest(
      await skopeoLoop(server, repositories),
      await skopeoLoop(server, repositories),
    );
    const selection = selectionTimes();
    await report(berth, skopeo, selection);
  } finally {
    await server.stop();
  }
}

function fastest(a: LoopResult, b: LoopResult): LoopResult {
  return a.wallMs <= b.wallMs ? a : b;
}

async function seed(server: TestRegistry): Promise<string[]> {
  const repositories = Array.from({ length: REPOSITORIES }, (_, index) => `bench/app-${index}`);
  const limit = pLimit(CONCURRENCY);
  const started = performance.now();
  await Promise.all(
    repositories.flatMap((repository) =>
      Array.from({ length: TAGS_PER_REPOSITORY }, (_, tag) =>
        limit(() =>
          pushTestImage({
            registry: server.host,
            repository,
            tag: `1.0.${tag}`,
            content: `${repository}:${tag}`,
          }),
        ),
      ),
    ),
  );
  log(
    `pushed ${REPOSITORIES * TAGS_PER_REPOSITORY} tags in ${Math.round(performance.now() - started)} ms`,
  );
  return repositories;
}

/** Berth: `listTags` then `getDigest` of the last tag, 8 repositories at a time. */
async function berthLoop(server: TestRegistry, repositories: string[]): Promise<LoopResult> {
  const registry = createRegistry({ type: "oci", url: server.url, concurrency: CONCURRENCY });
  const limit = pLimit(CONCURRENCY);
  const started = performance.now();
  await Promise.all(
    repositories.map((repository) =>
      limit(async () => {
        const tags = await registry.listTags(repository);
        const last = tags[tags.length - 1];
        if (last) {
          await registry.getDigest(repository, last.name);
        }
      }),
    ),
  );
  const wallMs = performance.now() - started;
  const stats = registry.stats();
  await registry.close();
  log(
    `berth: ${Math.round(wallMs)} ms, ${stats.requests} requests, ${stats.connections} connections`,
  );
  return { wallMs, repositories: repositories.length, ...stats };
}

/** skopeo: `list-tags` then `inspect --raw` of the last tag, 8 processes at a time. */
async function skopeoLoop(server: TestRegistry, repositories: string[]): Promise<LoopResult> {
  const limit = pLimit(CONCURRENCY);
  const started = performance.now();
  await Promise.all(
    repositories.map((repository) =>
      limit(async () => {
        const reference = `docker://${server.host}/${repository}`;
        const { stdout } = await run("skopeo", ["list-tags", "--tls-verify=false", reference]);
        const tags = (JSON.parse(stdout) as { Tags: string[] }).Tags;
        await run("skopeo", [
          "inspect",
          "--raw",
          "--tls-verify=false",
          `${reference}:${tags[tags.length - 1]}`,
        ]);
      }),
    ),
  );
  const wallMs = performance.now() - started;
  log(`skopeo: ${Math.round(wallMs)} ms`);
  return { wallMs, repositories: repositories.length };
}

/**
 * Median CPU time (user + system) of `selectTag` over 100,000 tags for each ranking policy.
 * CPU time rather than wall time, because the machine is shared and wall time swings with
 * other processes.
 */
function selectionTimes(): Record<string, number> {
  const tags = syntheticTags(SELECTION_TAGS);
  const policies: Record<string, { policy: TagPolicy; include?: string }> = {
    semver: { policy: { kind: "semver" } },
    "semver with range and v* filter": {
      policy: { kind: "semver", range: ">=1.0 <40" },
      include: "v*",
    },
    numeric: { policy: { kind: "numeric", extract: "^build-(\\d+)$" } },
    alphabetical: { policy: { kind: "alphabetical" } },
    newest: { policy: { kind: "newest" } },
  };
  const times: Record<string, number> = {};
  for (const [name, { policy, include }] of Object.entries(policies)) {
    const runs: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const started = process.cpuUsage();
      selectTag({ tags, policy, current: "v1.0.0", ...(include ? { include } : {}) });
      const used = process.cpuUsage(started);
      runs.push((used.user + used.system) / 1000);
    }
    runs.sort((a, b) => a - b);
    times[name] = runs[2] ?? 0;
    log(`selection ${name}: ${times[name]?.toFixed(1)} ms`);
  }
  return times;
}

/** Builds a mix of versions, pre-releases, variants, build numbers and names, with creation times. */
function syntheticTags(count: number) {
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, index) => {
    const major = index % 50;
    const minor = Math.floor(index / 50) % 40;
    const patch = Math.floor(index / 2000);
    const shapes = [
      `v${major}.${minor}.${patch}`,
      `${major}.${minor}.${patch}-rc.${index % 7}`,
      `${major}.${minor}.${patch}-alpine3.20`,
      `build-${index}`,
      `sha-${index.toString(16).padStart(7, "0")}`,
    ];
    return { name: shapes[index % shapes.length] ?? "", createdAt: new Date(base + index * 1000) };
  });
}

async function report(berth: LoopResult, skopeo: LoopResult, selection: Record<string, number>) {
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} at the end of the run`;
  const ratio = skopeo.wallMs / berth.wallMs;
  const perRepository = (value: number | undefined) =>
    ((value ?? 0) / berth.repositories).toFixed(2);
  const lines = [
    "# Registry: tag listing, digest resolution and selection",
    "",
    `Machine: ${machine}. Registry: Debian docker-registry (distribution 2.8) on 127.0.0.1.`,
    "Script: `pnpm --filter @berth/registry bench` (packages/registry/bench/registry.bench.ts).",
    "",
    `## List tags and resolve a digest, ${berth.repositories} repositories (${TAGS_PER_REPOSITORY} tags each), ${CONCURRENCY} at a time, best of two runs`,
    "",
    "| client | wall ms | ms per repository | requests per repository | connections per repository |",
    "|---|---|---|---|---|",
    `| Berth OCI client (ofetch on node:http keep-alive) | ${Math.round(berth.wallMs)} | ${(berth.wallMs / berth.repositories).toFixed(1)} | ${perRepository(berth.requests)} | ${perRepository(berth.connections)} |`,
    `| skopeo list-tags + inspect --raw (baseline, all ${skopeo.repositories} repositories) | ${Math.round(skopeo.wallMs)} | ${(skopeo.wallMs / skopeo.repositories).toFixed(1)} | — | — |`,
    "",
    `Ratio skopeo / Berth: ${ratio.toFixed(1)}× (Berth is ${ratio.toFixed(1)} times faster in this run).`,
    "Berth's requests are one tags/list GET and one manifest HEAD per repository. skopeo starts two processes per repository, each opening its own connections.",
    "",
    `## selectTag over ${SELECTION_TAGS.toLocaleString("en")} tags (median CPU time of 5 runs)`,
    "",
    "Tags: a mix of `v1.2.3`, pre-releases, `-alpine3.20` variants, `build-N` and `sha-…` names, each with a creation time.",
    "",
    "| policy | CPU ms |",
    "|---|---|",
    ...Object.entries(selection).map(([name, ms]) => `| ${name} | ${ms.toFixed(1)} |`),
    "",
  ];
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, "registry.md"), lines.join("\n"));
  await writeFile(
    join(RESULTS, "registry.json"),
    `${JSON.stringify({ machine, berth, skopeo, ratio, selectionMs: selection }, null, 2)}\n`,
  );
  log(`wrote ${join(RESULTS, "registry.md")}`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

await main();
