/**
 * The SIGKILL loop. Each round pushes a new tag, lets a deploy of it start, kills
 * `berth serve` with SIGKILL at a planned point of that deploy and restarts it. Once every
 * deploy is final, it checks what must hold after a crash (see kill-checks.ts). The CI test
 * and the benchmark share it, and it talks to Berth through its public API only.
 */
import { pushTestImage } from "@berth/testing";
import { type ApiClient, signIn } from "./api-client.js";
import { type Deploy, FINISHED, listDeploys, runningInstances, waitForDeploy } from "./flow.js";
import { sendShopPush } from "./gitea-hook.js";
import { checkSettledState } from "./kill-checks.js";
import { type ImageKind, type KillStep, planRounds, type RoundPlan } from "./kill-plan.js";
import { ADMIN_USER, type FlowRig, POLL_INTERVAL_SECONDS } from "./rig.js";
import { configureFlow, type FlowSetup, REPOSITORY } from "./setup.js";
import { waitFor } from "./wait.js";

export interface KillLoopOptions {
  kills: number;
  /** Seed of the round plan: the same seed gives the same tags, images, steps and delays. */
  seed: number;
  /** The aimed step of each round, in order; default a seeded draw per round. */
  targets?: readonly KillStep[];
  /** Called after each round, for progress output. */
  onRound?: (round: KillRound) => void;
}

export interface KillRound {
  plan: RoundPlan;
  deployId: string;
  /** The step the deploy was in when Berth died, from its recovery log line. */
  killPoint: string;
  finalStatus: string;
  /** SIGKILL sent → the new process responds 200 on /api/v1/health, in ms. */
  restartMs: number;
  /** New process ready → every deploy final, in ms. */
  settleMs: number;
  problems: string[];
  orphanContainers: string[];
}

/** Order of the steps a deploy goes through; a queued deploy has no step yet. */
const STEP_ORDER = ["resolve", "pull", "create", "start", "health", "proxy", "retire"];

/** Configures Berth on `rig`, deploys a first tag untouched, then runs the planned rounds. */
export async function runKillLoop(rig: FlowRig, options: KillLoopOptions): Promise<KillRound[]> {
  const api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  const setup = await configureFlow(api, rig);
  await deployFirstTag(rig, api, setup);

  const rounds: KillRound[] = [];
  for (const plan of planRounds(options.kills, options.seed, options.targets)) {
    const round = await runRound(rig, api, setup, plan);
    rounds.push(round);
    options.onRound?.(round);
  }
  return rounds;
}

/**
 * Deploys `dev-000` without a kill, so every round replaces a running instance. The webhook's
 * check deploys a stage's first tag, but a poll cycle that saw it first would only record it.
 */
async function deployFirstTag(rig: FlowRig, api: ApiClient, setup: FlowSetup): Promise<void> {
  await awayFromPollTick();
  await pushImage(rig, "dev-000", "good");
  await announce(rig, setup, "dev-000");
  const deploy = await waitForDeploy(api, setup.dev.id, "dev-000", undefined, 60_000);
  if (deploy.status !== "succeeded") {
    throw new Error(`the first deploy of dev-000 ended ${deploy.status}: ${deploy.error}`);
  }
}

async function runRound(
  rig: FlowRig,
  api: ApiClient,
  setup: FlowSetup,
  plan: RoundPlan,
): Promise<KillRound> {
  const stageIds = [setup.dev.id, setup.prod.id];
  const servedBefore = (await runningInstances(api, setup.dev.id)).length > 0;
  await pushImage(rig, plan.tag, plan.kind);
  if (plan.announce === "webhook") await announce(rig, setup, plan.tag);

  const deploy = await waitForStep(api, setup.dev.id, plan);
  await sleep(plan.delayMs);
  const killedAt = Date.now();
  await rig.restartBerth("SIGKILL");
  const readyAt = Date.now();

  // A deploy stuck after the restart is a finding of the round, not the end of the loop.
  const settled = await waitFor(
    "every deploy to be final after the restart",
    () => allFinal(api, stageIds),
    { timeoutMs: 60_000 },
  ).then(
    () => true,
    () => false,
  );
  const settledAt = Date.now();

  const state = await checkSettledState(api, rig, stageIds);
  const problems = settled
    ? [...state.problems]
    : ["not every deploy was final 60 s after the restart", ...state.problems];
  if (servedBefore && (await runningInstances(api, setup.dev.id)).length === 0) {
    problems.push(`stage dev ran an instance before the kill in round ${plan.tag}, none after`);
  }
  const { deploy: final } = await api.get<{ deploy: Deploy }>(`/deploys/${deploy.id}`);
  return {
    plan,
    deployId: deploy.id,
    killPoint: await killPointOf(api, deploy.id),
    finalStatus: final.status,
    restartMs: readyAt - killedAt,
    settleMs: settledAt - readyAt,
    problems,
    orphanContainers: state.orphanContainers,
  };
}

/**
 * Waits until the deploy of the plan's tag reaches the plan's step (or a later one, or its
 * end), polling every 10 ms because pull, create and start last tens of milliseconds.
 */
async function waitForStep(api: ApiClient, stageId: string, plan: RoundPlan): Promise<Deploy> {
  // A tag left to the poller waits up to one poll interval before its deploy exists.
  const started = await waitFor(
    `a deploy of ${plan.tag}`,
    async () => (await listDeploys(api, stageId)).find((d) => d.tag === plan.tag),
    { timeoutMs: (POLL_INTERVAL_SECONDS + 30) * 1000, intervalMs: 10 },
  );
  const target = STEP_ORDER.indexOf(plan.target);
  return waitFor(
    `the deploy of ${plan.tag} to reach step ${plan.target}`,
    async () => {
      const { deploy } = await api.get<{ deploy: Deploy }>(`/deploys/${started.id}`);
      const reached =
        deploy.status === "running" && STEP_ORDER.indexOf(deploy.step ?? "") >= target;
      return reached || FINISHED.has(deploy.status) ? deploy : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 10 },
  );
}

async function allFinal(api: ApiClient, stageIds: readonly string[]): Promise<true | undefined> {
  for (const stageId of stageIds) {
    const deploys = await listDeploys(api, stageId);
    if (deploys.some((d) => !FINISHED.has(d.status) && d.status !== "pending_approval")) {
      return undefined;
    }
  }
  return true;
}

/**
 * Reads the step at the kill from the deploy's log: recovery writes "Berth stopped during
 * step <step>". A deploy that ended before the kill has no such line.
 */
async function killPointOf(api: ApiClient, deployId: string): Promise<string> {
  const { entries } = await api.get<{ entries: Array<{ message: string }> }>(
    `/deploys/${deployId}/log`,
  );
  for (const entry of entries) {
    const match = /Berth stopped during step (\S+)/.exec(entry.message);
    if (match?.[1]) return match[1];
  }
  return "after the end";
}

/**
 * Pushes a busybox httpd image. Every kind ignores SIGTERM (busybox runs as PID 1 without
 * handlers), so retiring it waits the engine's stop timeout and a kill can land in retire.
 */
async function pushImage(rig: FlowRig, tag: string, kind: ImageKind): Promise<string> {
  const { digest } = await pushTestImage({
    registry: rig.registry.host,
    repository: REPOSITORY,
    tag,
    content: `shop ${tag}`,
    stopSignal: "SIGTERM",
    ...(COMMANDS[kind] ? { cmd: COMMANDS[kind] } : {}),
  });
  return digest;
}

/** Image commands per kind; `good` keeps the default, httpd serving /www with /health. */
const COMMANDS: Record<ImageKind, string[] | undefined> = {
  good: undefined,
  "slow-start": [
    "/bin/busybox",
    "sh",
    "-c",
    "/bin/busybox sleep 3; exec /bin/busybox httpd -f -p 8080 -h /www",
  ],
  // Serving /tmp, which has no health file, so every health probe gets 404.
  broken: ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp"],
};

async function announce(rig: FlowRig, setup: FlowSetup, tag: string): Promise<void> {
  const status = await sendShopPush(rig, setup, tag);
  if (status !== 202) {
    throw new Error(`the webhook for ${tag} answered ${status}, expected 202`);
  }
}

/**
 * Waits until the next poll cycle is at least 3 s away. Cycles fire on whole multiples of the
 * interval, so a push made now is seen by the webhook alone.
 */
async function awayFromPollTick(): Promise<void> {
  const intervalMs = POLL_INTERVAL_SECONDS * 1000;
  const intoCycle = Date.now() % intervalMs;
  if (intoCycle < 1000) await sleep(1000 - intoCycle);
  else if (intoCycle > intervalMs - 3000) await sleep(intervalMs - intoCycle + 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
