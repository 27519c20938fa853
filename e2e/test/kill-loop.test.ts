/**
 * Three SIGKILLs of `berth serve` in the middle of deploys, aimed at the health gate, the
 * proxy switch and retire, where a crash can leave the proxy or the engine behind the
 * database. The benchmark runs the same loop with 24 kills at random steps.
 */
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KillRound, runKillLoop } from "../src/kill-loop.js";
import { type FlowRig, startFlowRig } from "../src/rig.js";

let rig: FlowRig;

beforeAll(async () => {
  rig = await startFlowRig();
});

afterAll(async () => {
  if (process.env.BERTH_E2E_LOG) {
    await writeFile(process.env.BERTH_E2E_LOG, rig?.output() ?? "");
  }
  await rig?.stop();
});

describe("SIGKILL loop", () => {
  let rounds: KillRound[] = [];

  it("runs three killed deploys to the end", { timeout: 150_000 }, async () => {
    rounds = await runKillLoop(rig, {
      kills: 3,
      seed: 7,
      targets: ["health", "proxy", "retire"],
    });

    expect(rounds).toHaveLength(3);
    for (const round of rounds) {
      expect(round.finalStatus, `final status of ${round.plan.tag}`).toMatch(
        /^(succeeded|failed|rolled_back)$/,
      );
    }
  });

  it("leaves no orphan container", () => {
    expect(rounds.flatMap((round) => round.orphanContainers)).toEqual([]);
  });

  it("breaks no rule after any restart", () => {
    const problems = rounds.flatMap((round) =>
      round.problems.map(
        (problem) => `${round.plan.tag} (killed in ${round.killPoint}): ${problem}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it("interrupts every deploy before its end", () => {
    // A deploy that ended before the kill has no recovery line, and the round tested nothing.
    expect(rounds.map((round) => round.killPoint)).not.toContain("after the end");
  });
});
