/**
 * The soak scenario at CI size. Two `berth serve` processes share one Postgres database with
 * 100 stages over 20 repositories, 3 of them deploying for real through podman. Rounds of 50
 * concurrent signed webhook deliveries announce 5 new tags each, and 10 dashboard clients
 * follow `/events`. Only the bench measures memory and latency, so these checks are about
 * correctness.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runSoak, type SoakResult } from "../src/soak.js";

let result: SoakResult;

beforeAll(async () => {
  result = await runSoak({
    stages: 100,
    repositories: 20,
    autoDeployStages: 3,
    durationMs: 20_000,
    deliveriesPerRound: 50,
    tagsPerRound: 5,
    autoTagsPerRound: 1,
    roundIntervalMs: 5_000,
    sseClients: 10,
    processes: 2,
    pollIntervalSeconds: 10,
    drainTimeoutMs: 60_000,
  });
}, 240_000);

describe("soak with two processes", () => {
  it("sends every round of deliveries", () => {
    const hooks = result.timings.get("POST /hooks/gitea");

    expect(result.rounds).toBeGreaterThanOrEqual(3);
    expect(result.deliveries).toBe(result.rounds * 50);
    expect(hooks?.latenciesMs.length).toBe(result.deliveries);
    expect(hooks?.failures).toBe(0);
  });

  it("records no candidate twice", () => {
    expect(result.findings.duplicates).toEqual([]);
  });

  it("records every announced candidate", () => {
    expect(result.announced.length).toBe(result.rounds * 5 * 5);
    expect(result.findings.missing).toEqual([]);
    expect(result.drained).toBe(true);
  });

  it("leaves every deploy finished or pending approval", () => {
    expect(result.findings.unfinished).toEqual([]);
  });

  it("deploys every auto-deploy candidate", () => {
    const auto = result.announced.filter((candidate) => candidate.autoDeploy);

    expect(auto.length).toBe(result.rounds);
    expect(result.findings.autoNotSucceeded).toEqual([]);
  });

  it("keeps both processes up", () => {
    expect(result.processes.map((process) => process.up)).toEqual([true, true]);
  });

  it("streams events to every dashboard client", () => {
    expect(result.sse).toHaveLength(10);
    for (const client of result.sse) {
      expect(client.error).toBeUndefined();
      expect(client.events).toBeGreaterThan(0);
    }
  });

  it("answers every timed API request", () => {
    for (const [route, timings] of result.timings) {
      expect(timings.latenciesMs.length, route).toBeGreaterThan(0);
      expect(timings.failures, route).toBe(0);
    }
  });
});
