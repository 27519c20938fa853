/**
 * Poll-cycle benchmark: 1,000 stages over 200 images on the local docker-registry, against
 * a bare loop that fetches the same 200 tag lists with no Berth logic (the floor).
 * Writes bench/results/poller.md (and .json) at the repository root.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type DatabaseHandle,
  pollState,
  projects,
  registries,
  stages,
  type TagPolicy,
} from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createPoller } from "../src/index.js";
import { forEachLimited } from "../src/limit.js";
import { type Measurement, measure } from "./measure.js";

const IMAGES = 200;
const STAGES_PER_IMAGE = 5;
const TAGS_PER_IMAGE = 4;
const CONCURRENCY = 8;
const ROUNDS = 3;
const RESULTS = fileURLToPath(new URL("../../../bench/results/", import.meta.url));

const engine = testEngines().at(-1)!.engine;
let handle: DatabaseHandle;
let registry: TestRegistry;

const STAGE_SHAPES: Array<{ name: string; include: string[]; policy: TagPolicy }> = [
  { name: "prod", include: ["v*"], policy: { kind: "semver" } },
  { name: "rc", include: ["v*"], policy: { kind: "semver", allowPrerelease: true } },
  { name: "dev", include: ["dev-*"], policy: { kind: "numeric", extract: "^dev-(\\d+)$" } },
  { name: "edge", include: ["latest"], policy: { kind: "digest" } },
  { name: "any", include: [], policy: { kind: "alphabetical" } },
];

beforeAll(async () => {
  [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
  const repositories = Array.from({ length: IMAGES }, (_, index) => `bench/app-${index}`);
  await forEachLimited(repositories, CONCURRENCY, async (repository) => {
    for (const tag of ["v1.0.0", "v1.1.0-rc.1", "dev-7", "latest"].slice(0, TAGS_PER_IMAGE)) {
      await pushTestImage({ registry: registry.host, repository, tag });
    }
  });
  await seed(repositories);
}, 180_000);

afterAll(async () => {
  await registry?.stop();
  await handle?.close();
});

async function seed(repositories: string[]): Promise<void> {
  const [row] = await handle.db
    .insert(registries)
    .values({ name: "local", type: "oci", url: registry.url })
    .returning({ id: registries.id });
  const projectRows = await handle.db
    .insert(projects)
    .values(
      repositories.map((repository, index) => ({
        slug: `app-${index}`,
        name: `App ${index}`,
        registryId: row!.id,
        repository,
      })),
    )
    .returning({ id: projects.id });
  await handle.db.insert(stages).values(
    projectRows.flatMap((project) =>
      STAGE_SHAPES.map((shape) => ({
        projectId: project.id,
        name: shape.name,
        tagInclude: shape.include,
        policy: shape.policy,
      })),
    ),
  );
}

/** Fetches every image's tag list once, with the poller's concurrency: the floor. */
async function bareLoop(): Promise<void> {
  const repositories = Array.from({ length: IMAGES }, (_, index) => `bench/app-${index}`);
  await forEachLimited(repositories, CONCURRENCY, async (repository) => {
    const response = await fetch(`${registry.url}/v2/${repository}/tags/list`);
    const body = (await response.json()) as { tags: string[] };
    if (body.tags.length !== TAGS_PER_IMAGE) {
      throw new Error(`expected ${TAGS_PER_IMAGE} tags in ${repository}, got ${body.tags.length}`);
    }
  });
}

/** Fetches every tag list and resolves the digest stages' tag: the same requests as a steady cycle. */
async function bareLoopWithDigests(): Promise<void> {
  const repositories = Array.from({ length: IMAGES }, (_, index) => `bench/app-${index}`);
  await forEachLimited(repositories, CONCURRENCY, async (repository) => {
    await (await fetch(`${registry.url}/v2/${repository}/tags/list`)).json();
    const head = await fetch(`${registry.url}/v2/${repository}/manifests/latest`, {
      method: "HEAD",
      headers: { accept: MANIFEST_TYPES },
    });
    if (!head.headers.get("docker-content-digest")) {
      throw new Error(`no digest for ${repository}:latest`);
    }
  });
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

test("poll cycle over 1,000 stages and 200 images", async () => {
  const poller = createPoller({ db: handle.db, imageConcurrency: CONCURRENCY });
  const ids = (await handle.db.select({ id: stages.id }).from(stages)).map((stage) => stage.id);
  const rounds: Array<Record<"floor" | "requestFloor" | "first" | "steady", Measurement>> = [];

  // Rounds alternate the runs, so load from other processes on the machine hits all alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    await handle.db.delete(pollState);
    const floor = await measure(bareLoop);
    const first = await measure(() => poller.pollNow());
    // Every stage is due again at the next fire time; a forced check polls them all now.
    const steady = await measure(() => poller.checkStages(ids, { trigger: "poll" }));
    const requestFloor = await measure(bareLoopWithDigests);
    rounds.push({ floor, requestFloor, first, steady });
  }

  expect(poller.counters().errors).toBe(0);
  expect(poller.counters().stagesPolled).toBe(ROUNDS * 2 * IMAGES * STAGES_PER_IMAGE);
  await writeResults({
    floor: median(rounds.map((round) => round.floor)),
    requestFloor: median(rounds.map((round) => round.requestFloor)),
    first: median(rounds.map((round) => round.first)),
    steady: median(rounds.map((round) => round.steady)),
  });
});

/** Returns the run with the median wall time. */
function median(runs: Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.wallMs - b.wallMs);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function writeResults(runs: {
  floor: Measurement;
  requestFloor: Measurement;
  first: Measurement;
  steady: Measurement;
}): Promise<void> {
  const machine = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`;
  const ratio = (run: Measurement) => (run.wallMs / Math.max(1, runs.floor.wallMs)).toFixed(1);
  const perImage = (run: Measurement) => (run.requests / IMAGES).toFixed(2);
  const row = (label: string, run: Measurement, note: string) =>
    `| ${label} | ${run.wallMs} | ${perImage(run)} | ${run.peakRssMiB} | ${run.heapGrowthMiB} | ${ratio(run)} | ${note} |`;

  const markdown = [
    "# Poller: one poll cycle",
    "",
    `Machine: ${machine}; 1-minute load average ${os.loadavg()[0]?.toFixed(1)} when the results were written. Database: ${engine === "postgres" ? "Postgres server" : "embedded PGlite"}. Registry: Debian docker-registry on 127.0.0.1.`,
    "",
    `${IMAGES * STAGES_PER_IMAGE} stages over ${IMAGES} images (${STAGES_PER_IMAGE} stages per image: semver, semver with pre-releases, numeric, digest, alphabetical), ${TAGS_PER_IMAGE} tags per image, ${CONCURRENCY} images at once.`,
    "Script: `pnpm --filter @berth/poller bench` (packages/poller/bench/poll-cycle.bench.ts).",
    "",
    "| run | wall ms | HTTP requests per image | peak RSS MiB | heap growth MiB | ratio to floor | what it does |",
    "|---|---|---|---|---|---|---|",
    row("floor", runs.floor, "bare fetch loop over the same 200 tag lists, no Berth logic"),
    row(
      "floor with digests",
      runs.requestFloor,
      "bare loop making a steady cycle's requests: each tag list plus a HEAD of `latest`",
    ),
    row(
      "first cycle",
      runs.first,
      "claims, lists, selects, resolves every selected digest, records state",
    ),
    row(
      "steady cycle",
      runs.steady,
      "nothing new: lists once per image, digest stages resolve their tag",
    ),
    "",
    `Poll-cycle ratio against the floor (steady cycle): ${ratio(runs.steady)}; against the floor with digests: ${(runs.steady.wallMs / Math.max(1, runs.requestFloor.wallMs)).toFixed(1)}.`,
    `Each figure is the median of ${ROUNDS} rounds; a round runs the floor, a first cycle (poll state emptied), a steady cycle and the floor with digests, in that order.`,
    "Peak RSS is the whole test process (vitest, the database driver, PGlite when used).",
    "",
  ].join("\n");
  await mkdir(RESULTS, { recursive: true });
  await writeFile(path.join(RESULTS, "poller.md"), markdown);
  await writeFile(
    path.join(RESULTS, "poller.json"),
    `${JSON.stringify({ machine, loadAverage: os.loadavg()[0], engine, images: IMAGES, stages: IMAGES * STAGES_PER_IMAGE, ...runs }, null, 2)}\n`,
  );
}
