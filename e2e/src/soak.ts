/**
 * The soak scenario, shared by the CI test and the bench. One or two `berth serve`
 * processes share one Postgres database, and many stages poll the local docker-registry.
 * For a fixed time, rounds of concurrent signed webhook deliveries announce new tags while
 * dashboard clients follow server-sent events, an API client times GETs, and samplers read
 * each process's RSS from /proc and its V8 heap through a preloaded probe. It returns what it
 * measured and what the end checks found, and asserts nothing.
 */
import { type ApiClient, signIn } from "./api-client.js";
import type { BerthProcess } from "./berth-process.js";
import { ADMIN_USER, type FlowRig, startFlowRig } from "./rig.js";
import {
  type AnnouncedCandidate,
  findSoakProblems,
  listAllDeploys,
  type SoakFindings,
} from "./soak-checks.js";
import { createHeapProbe, type HeapProbe, type HeapSample } from "./soak-heap.js";
import {
  deliveriesPerTag,
  planRepositories,
  planRound,
  roundTag,
  SOAK_OWNER,
} from "./soak-layout.js";
import {
  type Delivery,
  followEvents,
  type LoadAverageSample,
  type RouteTimings,
  type RssSamples,
  type SseClientResult,
  sampleLoadAverage,
  sampleRss,
  sendDeliveries,
  sleep,
  timeRoutes,
} from "./soak-load.js";
import { type LogFigures, readLogFigures } from "./soak-logs.js";
import { configureSoak, pushSoakImage, type SoakSetup, waitForFirstPolls } from "./soak-setup.js";
import { waitFor } from "./wait.js";

export interface SoakOptions {
  /** Stages in all, spread over `repositories` projects. */
  stages: number;
  /** Image repositories, each pushed once before the run and tracked by one project. */
  repositories: number;
  /** Stages that deploy for real through podman, one per repository; the rest need approval. */
  autoDeployStages: number;
  /** How long the load runs, in ms, set-up and the final drain not included. */
  durationMs: number;
  /** Concurrent webhook deliveries per round, spread over the round's new tags. */
  deliveriesPerRound: number;
  /** New tags per round, each in a repository of its own. */
  tagsPerRound: number;
  /** How many of a round's tags go to repositories with an auto-deploy stage. */
  autoTagsPerRound: number;
  /** Time from the start of one round to the start of the next, in ms. */
  roundIntervalMs: number;
  /** Dashboard clients following `/api/v1/events`, spread over the processes. */
  sseClients: number;
  /** `berth serve` processes on the one database: 1 or 2. */
  processes: 1 | 2;
  /** Seconds between poll cycles, written to the seed file. */
  pollIntervalSeconds: number;
  /** How long to wait after the load for queued deploys and late candidates, in ms. */
  drainTimeoutMs: number;
  /** Progress lines; default none. */
  log?: (line: string) => void;
}

export interface SoakProcessReport {
  url: string;
  pid: number;
  /** Whether `/api/v1/health` returned 200 after the run. */
  up: boolean;
  /** VmRSS every 3 s, timed from the start of the load. */
  rss: RssSamples["samples"];
  /** V8 heap readings of the probe, timed from the start of the load, over the same span. */
  heap: HeapSample[];
  log: LogFigures;
}

export interface SoakResult {
  options: Omit<SoakOptions, "log">;
  rounds: number;
  deliveries: number;
  announced: AnnouncedCandidate[];
  deploys: number;
  findings: SoakFindings;
  /** Whether every candidate had its deploy and none was queued or running at the end. */
  drained: boolean;
  timings: Map<string, RouteTimings>;
  sse: SseClientResult[];
  processes: SoakProcessReport[];
  /** Wall time of the load phase, in ms. */
  loadMs: number;
  /** The machine's one-minute load average every 10 s while memory was sampled. */
  loadAverages: LoadAverageSample[];
}

/** Runs the whole scenario on fresh parts and stops them all, also when a step fails. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const repositories = planRepositories(
    options.stages,
    options.repositories,
    options.autoDeployStages,
  );
  const probe = await createHeapProbe();
  const rig = await startFlowRig({
    pollIntervalSeconds: options.pollIntervalSeconds,
    berthEnv: probe.env,
  }).catch(async (error: unknown) => {
    await probe.remove();
    throw error;
  });
  try {
    const berths: BerthProcess[] = [rig.berth];
    if (options.processes === 2) berths.push(await rig.startReplica());
    const api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);

    log(`configuring ${options.stages} stages over ${repositories.length} repositories`);
    const setup = await configureSoak(api, rig, repositories);
    const allStageIds = setup.projects.flatMap((project) => project.stageIds);
    const output = () => berths.map((berth) => berth.output()).join("\n");
    await waitForFirstPolls(output, allStageIds, 30_000 + options.pollIntervalSeconds * 3000);
    log("every stage had its first poll; starting the load");

    return await runLoad(options, rig, berths, api, setup, probe);
  } finally {
    await rig.stop();
    await probe.remove();
  }
}

async function runLoad(
  options: SoakOptions,
  rig: FlowRig,
  berths: readonly BerthProcess[],
  api: ApiClient,
  setup: SoakSetup,
  probe: HeapProbe,
): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const token = api.token;
  const urls = berths.map((berth) => berth.url);
  const timings = new Map<string, RouteTimings>();
  const stopLoad = new AbortController();
  const sseClients = Array.from({ length: options.sseClients }, (_, index) =>
    followEvents(urls[index % urls.length] ?? rig.berth.url, token),
  );
  const timer = timeRoutes(urls, token, timings, { pauseMs: 100, signal: stopLoad.signal });
  const startedAt = Date.now();
  const sampler = sampleRss(berths, { intervalMs: 3000, signal: stopLoad.signal });
  const loadSampler = sampleLoadAverage({ intervalMs: 10_000, signal: stopLoad.signal });

  const announced: AnnouncedCandidate[] = [];
  let rounds = 0;
  let deliveries = 0;
  while (Date.now() - startedAt < options.durationMs) {
    const roundStart = Date.now();
    const sent = await runRound(options, rig, urls, setup, rounds, announced, timings);
    deliveries += sent;
    rounds += 1;
    log(`round ${rounds}: ${sent} deliveries in ${Date.now() - roundStart} ms`);
    await sleep(Math.max(0, options.roundIntervalMs - (Date.now() - roundStart)));
  }
  const loadMs = Date.now() - startedAt;

  log("load done; waiting for deploys to finish");
  const drained = await waitForDrain(api, announced, options.drainTimeoutMs);
  const sse = await Promise.all(sseClients.map((client) => client.stop()));
  stopLoad.abort();
  const sampledMs = Date.now() - startedAt;
  await timer;
  const rss = await sampler;
  const loadAverages = await loadSampler;

  const deploys = await listAllDeploys(api);
  const processes = await Promise.all(
    berths.map(async (berth, index) => ({
      url: berth.url,
      pid: berth.pid ?? 0,
      up: await isUp(berth.url),
      rss: rss[index]?.samples ?? [],
      heap: (await probe.read(berth.pid ?? 0, startedAt)).filter(
        (sample) => sample.atMs >= 0 && sample.atMs <= sampledMs,
      ),
      log: readLogFigures(berth.output()),
    })),
  );
  const { log: _log, ...recorded } = options;
  return {
    options: recorded,
    rounds,
    deliveries,
    announced,
    deploys: deploys.length,
    findings: findSoakProblems(deploys, announced),
    drained,
    timings,
    sse,
    processes,
    loadMs,
    loadAverages,
  };
}

/**
 * Pushes the round's new tags, then sends all its deliveries at once, a share of them to
 * each process. Records the candidates every stage of the pushed repositories should get.
 */
async function runRound(
  options: SoakOptions,
  rig: FlowRig,
  urls: readonly string[],
  setup: SoakSetup,
  round: number,
  announced: AnnouncedCandidate[],
  timings: Map<string, RouteTimings>,
): Promise<number> {
  const tag = roundTag(round);
  const picked = planRound(
    round,
    setup.projects.map((project) => project.repository),
    options.tagsPerRound,
    options.autoTagsPerRound,
  );
  const shares = deliveriesPerTag(options.deliveriesPerRound, picked.length);

  const deliveries: Delivery[] = [];
  for (const [position, index] of picked.entries()) {
    const project = setup.projects[index];
    if (!project) continue;
    const digest = await pushSoakImage(rig, project.repository.name, tag);
    for (const stageId of project.stageIds) {
      announced.push({ stageId, tag, digest, autoDeploy: stageId === project.autoStageId });
    }
    for (let copy = 0; copy < (shares[position] ?? 0); copy += 1) {
      const berthUrl = urls[(deliveries.length + round) % urls.length] ?? rig.berth.url;
      deliveries.push({ berthUrl, name: project.repository.name, tag });
    }
  }

  await sendDeliveries(
    deliveries,
    { secret: setup.giteaSecret, registryHost: rig.registry.host, owner: SOAK_OWNER },
    timings,
  );
  return deliveries.length;
}

/**
 * Waits until every announced candidate has a deploy and no deploy is queued or running.
 * Returns false when that did not happen within `timeoutMs`; the checks then show what is
 * missing.
 */
async function waitForDrain(
  api: ApiClient,
  announced: readonly AnnouncedCandidate[],
  timeoutMs: number,
): Promise<boolean> {
  try {
    await waitFor(
      "every candidate to have a finished or pending deploy",
      async () => {
        const findings = findSoakProblems(await listAllDeploys(api), announced);
        return findings.missing.length === 0 && findings.unfinished.length === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: 2000 },
    );
    return true;
  } catch {
    return false;
  }
}

async function isUp(url: string): Promise<boolean> {
  return fetch(`${url}/api/v1/health`).then(
    (response) => response.status === 200,
    () => false,
  );
}
