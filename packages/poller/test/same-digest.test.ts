import type { DatabaseHandle } from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Candidate, createPoller } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { type FaultServer, startFaultServer } from "./support/fault-server.js";
import { seedRegistry, seedStage } from "./support/seed.js";

// Real Postgres when the test server is configured, else the embedded engine.
const engine = testEngines().at(-1)!.engine;

describe(`tag on the running digest on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let proxy: FaultServer;
  let registryId: string;
  const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    // Every stage polls through the counting proxy, so the tests can count digest lookups.
    proxy = await startFaultServer(registry.url);
    registryId = await seedRegistry(handle.db, proxy.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await handle?.close();
  });

  // The same content and creation time give the same manifest, so two tags share a digest.
  const push = (repository: string, tag: string, content: string, created?: string) =>
    pushTestImage({
      registry: registry.host,
      repository,
      tag,
      content,
      ...(created === undefined ? {} : { created }),
    });

  const newPoller = () => {
    const candidates: Candidate[] = [];
    const poller = createPoller({
      db: handle.db,
      clock,
      owner: "same-digest-poller",
      onCandidate: (candidate) => {
        candidates.push(candidate);
      },
    });
    return { poller, candidates };
  };

  const deploysOf = (stageId: string) =>
    handle.db.query.deploys.findMany({ where: (row, { eq }) => eq(row.stageId, stageId) });
  const stateOf = (stageId: string) =>
    handle.db.query.pollState.findFirst({ where: (row, { eq }) => eq(row.stageId, stageId) });
  const digestLookups = (repository: string) =>
    proxy.requests.filter((request) => request.startsWith(`HEAD /v2/${repository}/manifests/`));

  test("newest ignores latest on the running digest", async () => {
    const repository = "acme/sha-tags";
    const running = await push(repository, "9f1c2ab", "a", "2026-02-01T00:00:00Z");
    const stageId = await seedStage(handle.db, {
      registryId,
      repository,
      policy: { kind: "newest" },
    });
    const { poller, candidates } = newPoller();
    await poller.pollNow(stageId);
    expect(await stateOf(stageId)).toMatchObject({
      lastTag: "9f1c2ab",
      lastDigest: running.digest,
    });

    const latest = await push(repository, "latest", "a", "2026-02-01T00:00:00Z");
    expect(latest.digest).toBe(running.digest);
    proxy.requests.length = 0;
    const first = await poller.pollNow(stageId);
    const firstLookups = digestLookups(repository).length;
    const second = await poller.pollNow(stageId);

    expect(first).toMatchObject({ stages: 1, candidates: 0, errors: 0 });
    expect(second).toMatchObject({ stages: 1, candidates: 0, errors: 0 });
    expect(candidates).toEqual([]);
    expect(await deploysOf(stageId)).toEqual([]);
    expect(await stateOf(stageId)).toMatchObject({
      lastTag: "9f1c2ab",
      lastDigest: running.digest,
    });
    expect(firstLookups).toBe(1);
    expect(digestLookups(repository)).toHaveLength(2);
  });

  test("newest deploys the next new digest", async () => {
    const repository = "acme/sha-then-new";
    await push(repository, "9f1c2ab", "a", "2026-02-01T00:00:00Z");
    const stageId = await seedStage(handle.db, {
      registryId,
      repository,
      policy: { kind: "newest" },
    });
    const { poller, candidates } = newPoller();
    await poller.pollNow(stageId);
    await push(repository, "latest", "a", "2026-02-01T00:00:00Z");
    await poller.pollNow(stageId);

    const built = await push(repository, "7e3d4b0", "b", "2026-03-01T00:00:00Z");
    const found = await poller.pollNow(stageId);
    await push(repository, "latest", "b", "2026-03-01T00:00:00Z");
    const again = await poller.pollNow(stageId);

    expect(found.candidates).toBe(1);
    expect(again.candidates).toBe(0);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "7e3d4b0", digest: built.digest });
    expect(await deploysOf(stageId)).toHaveLength(1);
    expect(await stateOf(stageId)).toMatchObject({ lastTag: "7e3d4b0", lastDigest: built.digest });
  });

  test("semver ignores a higher tag on the running digest", async () => {
    const repository = "acme/retagged";
    const running = await push(repository, "1.4.0", "a");
    const stageId = await seedStage(handle.db, { registryId, repository });
    const { poller, candidates } = newPoller();
    await poller.pollNow(stageId);

    await push(repository, "1.4.1", "a");
    const first = await poller.pollNow(stageId);
    const second = await poller.pollNow(stageId);

    expect(first.candidates).toBe(0);
    expect(second.candidates).toBe(0);
    expect(candidates).toEqual([]);
    expect(await stateOf(stageId)).toMatchObject({ lastTag: "1.4.0", lastDigest: running.digest });

    const fixed = await push(repository, "1.4.2", "b");
    const found = await poller.pollNow(stageId);

    expect(found.candidates).toBe(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "1.4.2", digest: fixed.digest });
  });

  test("alphabetical passes a re-tag to the next image", async () => {
    const repository = "acme/builds";
    await push(repository, "build-1", "a");
    const stageId = await seedStage(handle.db, {
      registryId,
      repository,
      include: ["build-*"],
      policy: { kind: "alphabetical" },
    });
    const { poller, candidates } = newPoller();
    await poller.pollNow(stageId);

    // build-3 ranks highest but points to the running image, so build-2 is the update.
    const next = await push(repository, "build-2", "b");
    await push(repository, "build-3", "a");
    proxy.requests.length = 0;
    const found = await poller.pollNow(stageId);

    expect(found.candidates).toBe(1);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "build-2", digest: next.digest });
    expect(candidates[0]?.reason).toContain("build-3 skipped: same image as build-1");
    expect(digestLookups(repository)).toHaveLength(2);
  });
});
