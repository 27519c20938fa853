import { describe, expect, it } from "vitest";
import type { Deploy } from "../src/flow.js";
import { type AnnouncedCandidate, findSoakProblems } from "../src/soak-checks.js";
import {
  deliveriesPerTag,
  flatnessRatio,
  planRepositories,
  planRound,
  roundTag,
} from "../src/soak-layout.js";
import { readLogFigures } from "../src/soak-logs.js";

describe("planRepositories", () => {
  it("spreads stages evenly and marks auto-deploy repositories first", () => {
    const repositories = planRepositories(7, 3, 2);

    expect(repositories.map((r) => r.stages)).toEqual([3, 2, 2]);
    expect(repositories.map((r) => r.autoDeploy)).toEqual([true, true, false]);
    expect(repositories[0]?.name).toBe("app-000");
  });

  it.each([
    [2, 3, 0, "soak stages is 2"],
    [3, 0, 0, "soak repositories is 0"],
    [3, 3, 4, "soak autoDeployStages is 4"],
    [3, 3, -1, "soak autoDeployStages is -1"],
  ])("rejects %i stages, %i repositories, %i auto", (stages, repositories, auto, message) => {
    expect(() => planRepositories(stages, repositories, auto)).toThrow(message);
  });
});

describe("planRound", () => {
  const repositories = planRepositories(10, 10, 2);

  it("takes auto-deploy repositories and others in turn", () => {
    expect(planRound(0, repositories, 3, 1)).toEqual([0, 2, 3]);
    expect(planRound(1, repositories, 3, 1)).toEqual([1, 4, 5]);
    expect(planRound(4, repositories, 3, 1)).toEqual([0, 2, 3]);
  });

  it("names each repository at most once per round", () => {
    const picked = planRound(3, repositories, 20, 5);

    expect(new Set(picked).size).toBe(picked.length);
    expect(picked).toHaveLength(10);
  });
});

describe("roundTag", () => {
  it("grows by one minor version per round", () => {
    expect([roundTag(0), roundTag(9)]).toEqual(["1.1.0", "1.10.0"]);
  });
});

describe("deliveriesPerTag", () => {
  it("spreads the remainder over the first tags", () => {
    expect(deliveriesPerTag(11, 3)).toEqual([4, 4, 3]);
    expect(deliveriesPerTag(5, 0)).toEqual([]);
  });
});

describe("flatnessRatio", () => {
  it("divides the last tenth's median by the second tenth's", () => {
    const samples = Array.from({ length: 20 }, (_, index) => (index < 10 ? 100 : 150));

    expect(flatnessRatio(samples)).toBe(1.5);
  });

  it("needs at least 20 samples", () => {
    expect(flatnessRatio([1, 2, 3])).toBeUndefined();
  });
});

function deploy(stageId: string, tag: string, status: string, digest = "sha256:aa"): Deploy {
  return {
    id: `${stageId}-${tag}-${status}`,
    stageId,
    tag,
    digest,
    trigger: "webhook",
    status,
    step: null,
    error: null,
    sourceDeployId: null,
  };
}

function candidate(stageId: string, tag: string, autoDeploy = false): AnnouncedCandidate {
  return { stageId, tag, digest: "sha256:aa", autoDeploy };
}

describe("findSoakProblems", () => {
  it("finds nothing when every candidate has one settled deploy", () => {
    const findings = findSoakProblems(
      [deploy("a", "1.1.0", "succeeded"), deploy("b", "1.1.0", "pending_approval")],
      [candidate("a", "1.1.0", true), candidate("b", "1.1.0")],
    );

    expect(findings.duplicates).toEqual([]);
    expect(findings.missing).toEqual([]);
    expect(findings.unfinished).toEqual([]);
    expect(findings.autoNotSucceeded).toEqual([]);
    expect(findings.byStatus).toEqual({ succeeded: 1, pending_approval: 1 });
  });

  it("reports a candidate deployed twice", () => {
    const findings = findSoakProblems(
      [deploy("a", "1.1.0", "succeeded"), deploy("a", "1.1.0", "failed")],
      [candidate("a", "1.1.0", true)],
    );

    expect(findings.duplicates).toEqual([{ key: "a|1.1.0|sha256:aa", count: 2 }]);
  });

  it("reports missing, unfinished and failed auto deploys", () => {
    const findings = findSoakProblems(
      [deploy("a", "1.1.0", "queued"), deploy("c", "1.1.0", "failed")],
      [candidate("a", "1.1.0", true), candidate("b", "1.1.0"), candidate("c", "1.1.0", true)],
    );

    expect(findings.missing.map((c) => c.stageId)).toEqual(["b"]);
    expect(findings.unfinished.map((d) => d.stageId)).toEqual(["a"]);
    expect(findings.autoNotSucceeded.map((f) => f.status)).toEqual(["queued", "failed"]);
  });

  it("tells digests of one tag apart", () => {
    const findings = findSoakProblems(
      [deploy("a", "1.1.0", "succeeded", "sha256:bb")],
      [candidate("a", "1.1.0")],
    );

    expect(findings.missing).toHaveLength(1);
  });
});

describe("readLogFigures", () => {
  it("counts cycles, lost leases, busy stages and errors", () => {
    const output = [
      '{"level":30,"msg":"poll cycle finished","durationMs":120,"busy":0}',
      '{"level":30,"msg":"poll cycle finished","durationMs":480,"busy":0}',
      '{"level":40,"msg":"poll lease lost before the result was stored; another poller owns the stage now"}',
      '{"level":30,"msg":"stage check finished","durationMs":5,"busy":3}',
      '{"level":50,"msg":"poll of an image aborted"}',
      "berth serve: not JSON",
      "",
    ].join("\n");

    expect(readLogFigures(output)).toEqual({
      pollCycles: 2,
      longestPollCycleMs: 480,
      leasesLost: 1,
      busyStages: 3,
      errors: 1,
      errorMessages: ["poll of an image aborted"],
    });
  });
});
