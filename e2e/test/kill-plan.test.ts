import { describe, expect, it } from "vitest";
import { KILL_STEPS, planRounds, seededRandom } from "../src/kill-plan.js";

describe("planRounds", () => {
  it("repeats a plan for one seed", () => {
    expect(planRounds(20, 42)).toEqual(planRounds(20, 42));
    expect(planRounds(20, 42)).not.toEqual(planRounds(20, 43));
  });

  it("numbers tags in push order", () => {
    expect(planRounds(3, 1).map((plan) => plan.tag)).toEqual(["dev-001", "dev-002", "dev-003"]);
  });

  it("pairs each step with an image reaching it", () => {
    for (const plan of planRounds(200, 9)) {
      expect(KILL_STEPS).toContain(plan.target);
      if (plan.target === "proxy" || plan.target === "retire") expect(plan.kind).toBe("good");
      if (plan.target === "health") expect(plan.kind).not.toBe("good");
      expect(plan.delayMs).toBeGreaterThanOrEqual(0);
    }
  });

  it("draws every step over many rounds", () => {
    const targets = new Set(planRounds(200, 9).map((plan) => plan.target));
    expect([...targets].sort()).toEqual([...KILL_STEPS].sort());
  });

  it("uses fixed targets in order", () => {
    const plans = planRounds(2, 5, ["retire", "pull"]);
    expect(plans.map((plan) => plan.target)).toEqual(["retire", "pull"]);
  });

  it("rejects a kill count that is not a positive integer", () => {
    expect(() => planRounds(0, 1)).toThrow("planRounds: kills must be a positive integer, got 0");
  });

  it("rejects targets of another length", () => {
    expect(() => planRounds(2, 1, ["pull"])).toThrow(
      "planRounds: targets must name one step per kill (2), got 1",
    );
  });
});

describe("seededRandom", () => {
  it("returns floats in [0, 1)", () => {
    const random = seededRandom(3);
    for (let i = 0; i < 1000; i += 1) {
      const value = random();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});
