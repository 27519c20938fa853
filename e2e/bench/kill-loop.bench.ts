/**
 * Kills `berth serve` with SIGKILL in 24 deploys at random steps (seed 2026) and records where
 * each kill landed, how each deploy ended, the orphan containers found and the time from
 * restart to every deploy being final. Writes bench/results/kill-loop.md and .json, and
 * exits 1 when any round broke a rule.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { type KillRound, runKillLoop } from "../src/kill-loop.js";
import { percentile } from "../src/latency.js";
import { STALE_AFTER_SECONDS, startFlowRig } from "../src/rig.js";

const KILLS = 24;
const STEP_ORDER = ["resolve", "pull", "create", "start", "health", "proxy", "retire"];
const SEED = 2026;
const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url));

const loadBefore = os.loadavg();
const rig = await startFlowRig();
let rounds: KillRound[];
try {
  rounds = await runKillLoop(rig, {
    kills: KILLS,
    seed: SEED,
    onRound: (round) =>
      process.stdout.write(
        `${round.plan.tag} ${round.plan.kind} aimed at ${round.plan.target}, killed in ${round.killPoint}: ${round.finalStatus}, settled in ${round.settleMs} ms${round.problems.length ? `, problems: ${round.problems.join("; ")}` : ""}\n`,
      ),
  });
} finally {
  await rig.stop();
}
const result = summarize(rounds, loadBefore, os.loadavg());
await writeFile(`${RESULTS}kill-loop.json`, `${JSON.stringify(result, null, 2)}\n`);
await writeFile(`${RESULTS}kill-loop.md`, render(result));
process.stdout.write(render(result));
if (result.problems.length > 0) process.exitCode = 1;

function summarize(all: KillRound[], before: number[], after: number[]) {
  const figure = (values: number[]) => ({
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  });
  return {
    machine: `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`,
    loadAverage: { before: before.map(round2), after: after.map(round2) },
    seed: SEED,
    kills: all.length,
    staleAfterMs: STALE_AFTER_SECONDS * 1000,
    killPoints: countBy(
      all.map((r) => r.killPoint),
      STEP_ORDER,
    ),
    aimedSteps: countBy(
      all.map((r) => r.plan.target),
      STEP_ORDER,
    ),
    finalStates: countBy(all.map((r) => r.finalStatus)),
    orphanContainers: all.reduce((sum, r) => sum + r.orphanContainers.length, 0),
    restartMs: figure(all.map((r) => r.restartMs)),
    settleMs: figure(all.map((r) => r.settleMs)),
    problems: all.flatMap((r) => r.problems.map((p) => `${r.plan.tag}: ${p}`)),
    rounds: all.map((r) => ({
      tag: r.plan.tag,
      kind: r.plan.kind,
      announce: r.plan.announce,
      aimedAt: r.plan.target,
      delayMs: r.plan.delayMs,
      killPoint: r.killPoint,
      finalStatus: r.finalStatus,
      restartMs: r.restartMs,
      settleMs: r.settleMs,
    })),
  };
}

type Result = ReturnType<typeof summarize>;

function render(result: Result): string {
  const table = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([name, count]) => `| ${name} | ${count} |`)
      .join("\n");
  const problems = result.problems.length
    ? result.problems.map((p) => `- ${p}`).join("\n")
    : "None.";
  return `# SIGKILL loop: crash recovery of deploys

Machine: ${result.machine}; load average (1, 5, 15 min) ${result.loadAverage.before.join(", ")}
before and ${result.loadAverage.after.join(", ")} after, on a machine shared with other test runs.
Berth runs as \`berth serve\` on Postgres with podman, docker-registry and the proxy stand-in
on 127.0.0.1, from \`e2e/bench/kill-loop.bench.ts\` (seed ${result.seed}).

Each of the ${result.kills} rounds pushes a new tag to stage \`dev\` (a good, slow-starting or
broken busybox image), announces it by a signed Gitea webhook or leaves it to the 10 s poll,
waits until its deploy reaches a randomly drawn step, sleeps a random delay, kills Berth with
SIGKILL and starts it again. The kill point is the deploy's step at the kill, read from the
recovery line of its log. After each restart every deploy must be final, no (stage, tag,
digest) may have two deploys, the engine's labelled containers must be exactly the API's live
instances, and the stage's proxy host must forward to a running instance.

Recovery ends a deploy once its heartbeat is older than ${result.staleAfterMs} ms (the rig's
\`BERTH_DEPLOY_STALE_AFTER_SECONDS\`), so a failed deploy settles about that long after the
kill. A deploy killed in proxy or retire is finished on recovery instead. After a kill in
proxy, retiring its predecessor then waits out Berth's default 10 s stop timeout, since the
test images ignore SIGTERM. Rounds killed in retire settle sooner, likely because the engine
had begun that stop before the kill.

| figure | p50 | p99 |
|---|---|---|
| SIGKILL → new process responds 200 on /api/v1/health | ${result.restartMs.p50} ms | ${result.restartMs.p99} ms |
| new process ready → every deploy final | ${result.settleMs.p50} ms | ${result.settleMs.p99} ms |

Ratio settle time p50 / stale limit: ${(result.settleMs.p50 / result.staleAfterMs).toFixed(2)}.

Orphan containers found over all rounds: **${result.orphanContainers}**.

## Kill points (the deploy's step at the kill)

| step | kills |
|---|---|
${table(result.killPoints)}

## Final states of the killed deploys

| status | deploys |
|---|---|
${table(result.finalStates)}

## Broken rules

${problems}
`;
}

/** Counts each value, keys in `order` first and any other value after them. */
function countBy(values: readonly string[], order: readonly string[] = []): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of order) if (values.includes(key)) counts[key] = 0;
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
