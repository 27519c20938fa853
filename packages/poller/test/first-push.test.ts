import type { DatabaseHandle } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Candidate, createPoller, PollerError } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { seedRegistry, seedStage } from "./support/seed.js";

// Real Postgres when the test server is configured, else the embedded engine.
const engine = testEngines().at(-1)!.engine;

describe(`first check of a stage on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let registryId: string;
  const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    registryId = await seedRegistry(handle.db, registry.url);
  });
  afterAll(async () => {
    await registry?.stop();
    await handle?.close();
  });

  const push = (repository: string, tag: string) =>
    pushTestImage({ registry: registry.host, repository, tag, content: `${repository}:${tag}` });

  const newPoller = () => {
    const candidates: Candidate[] = [];
    const poller = createPoller({
      db: handle.db,
      clock,
      owner: "first-push-poller",
      onCandidate: (candidate) => {
        candidates.push(candidate);
      },
    });
    return { poller, candidates };
  };

  const devStage = (repository: string) =>
    seedStage(handle.db, {
      registryId,
      repository,
      include: ["dev-*"],
      policy: { kind: "numeric" },
    });
  const deploysOf = (stageId: string) =>
    handle.db.query.deploys.findMany({ where: (row, { eq }) => eq(row.stageId, stageId) });
  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });

  test("webhook first check deploys pushed tag", async () => {
    const { digest } = await push("acme/fresh", "dev-1");
    const stageId = await devStage("acme/fresh");
    const { poller, candidates } = newPoller();

    const summary = await poller.checkStages([stageId], { pushedTag: "dev-1" });

    expect(summary).toMatchObject({ stages: 1, candidates: 1, errors: 0 });
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "dev-1", digest, trigger: "webhook" });
    const rows = await deploysOf(stageId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tag: "dev-1", digest, trigger: "webhook" });
    const state = await stateOf(stageId);
    expect(state).toMatchObject({ initialized: true, lastTag: "dev-1", lastDigest: digest });

    const again = await poller.checkStages([stageId], { pushedTag: "dev-1" });
    expect(again.candidates).toBe(0);
    expect(await deploysOf(stageId)).toHaveLength(1);
  });

  test("webhook first check of another tag records baseline", async () => {
    await push("acme/older", "dev-5");
    await push("acme/older", "dev-2");
    const stageId = await devStage("acme/older");
    const { poller, candidates } = newPoller();

    // dev-2 was pushed, but the stage selects dev-5, which existed before the push.
    const summary = await poller.checkStages([stageId], { pushedTag: "dev-2" });

    expect(summary).toMatchObject({ stages: 1, candidates: 0, errors: 0 });
    expect(candidates).toEqual([]);
    expect(await deploysOf(stageId)).toEqual([]);
    const state = await stateOf(stageId);
    expect(state).toMatchObject({ initialized: true, lastTag: "dev-5" });
  });

  test("scheduled first poll deploys nothing", async () => {
    await push("acme/scheduled", "dev-1");
    const stageId = await devStage("acme/scheduled");
    const { poller, candidates } = newPoller();

    const summary = await poller.pollNow(stageId);

    expect(summary).toMatchObject({ stages: 1, candidates: 0 });
    expect(candidates).toEqual([]);
    expect(await deploysOf(stageId)).toEqual([]);
    expect((await stateOf(stageId))?.lastTag).toBe("dev-1");
  });

  test("empty first poll makes next tag a candidate", async () => {
    await push("acme/empty", "base");
    const stageId = await devStage("acme/empty");
    const { poller, candidates } = newPoller();

    const first = await poller.pollNow(stageId);
    expect(first.candidates).toBe(0);
    const state = await stateOf(stageId);
    expect(state).toMatchObject({ initialized: true, lastTag: null, lastDigest: null });

    const { digest } = await push("acme/empty", "dev-1");
    const second = await poller.pollNow(stageId);

    expect(second.candidates).toBe(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "dev-1", digest, trigger: "poll" });
    expect(await deploysOf(stageId)).toHaveLength(1);
  });

  test("invalid pushed tag is rejected", async () => {
    await push("acme/invalid", "dev-1");
    const stageId = await devStage("acme/invalid");
    const { poller } = newPoller();

    const empty = poller.checkStages([stageId], { pushedTag: "" });
    await expect(empty).rejects.toThrow(PollerError);
    await expect(empty).rejects.toThrow('pushedTag must be a non-empty tag name, got ""');
    const onPoll = poller.checkStages([stageId], { trigger: "poll", pushedTag: "dev-1" });
    await expect(onPoll).rejects.toThrow('pushedTag "dev-1" comes with the "webhook" trigger only');

    expect(await stateOf(stageId)).toBeUndefined();
    expect(await deploysOf(stageId)).toEqual([]);
  });
});
