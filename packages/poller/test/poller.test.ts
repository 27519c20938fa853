import { createRegistry } from "@berth/registry";
import {
  claimStages,
  type DatabaseHandle,
  deploys,
  registries,
  releasePollLeases,
} from "@berth/store";
import { openTestDatabase, testEngines } from "@berth/store/testing";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Candidate, createPoller } from "../src/index.js";
import { FakeClock } from "./support/fake-clock.js";
import { type FaultServer, startFaultServer } from "./support/fault-server.js";
import { seedRegistry, seedStage } from "./support/seed.js";

// Real Postgres when the test server is configured, else the embedded engine.
const engine = testEngines().at(-1)!.engine;

describe(`poller against the local registry on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let proxy: FaultServer;
  let registryId: string;
  let countedRegistryId: string;
  const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    proxy = await startFaultServer(registry.url);
    registryId = await seedRegistry(handle.db, registry.url);
    countedRegistryId = await seedRegistry(handle.db, proxy.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    await handle?.close();
  });

  const push = (repository: string, tag: string, content?: string) =>
    pushTestImage({
      registry: registry.host,
      repository,
      tag,
      content: content ?? `${repository}:${tag}`,
    });

  const newPoller = (owner = "test-poller") => {
    const candidates: Candidate[] = [];
    const poller = createPoller({
      db: handle.db,
      clock,
      owner,
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

  test("first poll records what exists and creates nothing", async () => {
    await push("acme/first", "v1.0.0");
    const { digest } = await push("acme/first", "v1.1.0");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/first" });
    const { poller, candidates } = newPoller();

    const summary = await poller.pollNow(stageId);

    expect(summary).toMatchObject({ stages: 1, candidates: 0, errors: 0 });
    expect(candidates).toEqual([]);
    expect(await deploysOf(stageId)).toEqual([]);
    const state = await stateOf(stageId);
    expect(state?.initialized).toBe(true);
    expect(state?.lastTag).toBe("v1.1.0");
    expect(state?.lastDigest).toBe(digest);
  });

  test("pushed tag becomes exactly one candidate", async () => {
    await push("acme/pushed", "v1.0.0");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/pushed" });
    const { poller, candidates } = newPoller();
    await poller.pollNow(stageId);

    const { digest } = await push("acme/pushed", "v1.2.0");
    const first = await poller.pollNow(stageId);
    const second = await poller.pollNow(stageId);

    expect(first.candidates).toBe(1);
    expect(second.candidates).toBe(0);
    const rows = await deploysOf(stageId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tag: "v1.2.0", digest, trigger: "poll", status: "queued" });
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "v1.2.0", digest, trigger: "poll" });
    expect(candidates[0]?.deployId).toBe(rows[0]?.id);
  });

  test("lower or excluded tags make no candidate", async () => {
    await push("acme/filtered", "v2.0.0");
    const stageId = await seedStage(handle.db, {
      registryId,
      repository: "acme/filtered",
      include: ["v*"],
      exclude: ["*-rc*"],
    });
    const { poller } = newPoller();
    await poller.pollNow(stageId);

    await push("acme/filtered", "v1.9.0");
    await push("acme/filtered", "v3.0.0-rc1");
    await push("acme/filtered", "other-9.0.0");
    const summary = await poller.pollNow(stageId);

    expect(summary.candidates).toBe(0);
    expect(await deploysOf(stageId)).toEqual([]);
    expect((await stateOf(stageId))?.lastTag).toBe("v2.0.0");
  });

  test("re-pushed mutable tag makes one candidate on a digest stage", async () => {
    await push("acme/mutable", "latest", "build 1");
    const stageId = await seedStage(handle.db, {
      registryId,
      repository: "acme/mutable",
      include: ["latest"],
      policy: { kind: "digest" },
      autoDeploy: false,
    });
    const { poller } = newPoller();
    await poller.pollNow(stageId);
    const unchanged = await poller.pollNow(stageId);

    const { digest } = await push("acme/mutable", "latest", "build 2");
    const changed = await poller.pollNow(stageId);
    const again = await poller.pollNow(stageId);

    expect(unchanged.candidates).toBe(0);
    expect(changed.candidates).toBe(1);
    expect(again.candidates).toBe(0);
    const rows = await deploysOf(stageId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tag: "latest", digest, status: "pending_approval" });
  });

  test("webhook check and poll share one candidate", async () => {
    await push("acme/hooked", "v1.0.0");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/hooked" });
    const { poller, candidates } = newPoller();
    await poller.pollNow(stageId);

    await push("acme/hooked", "v1.0.1");
    const hook = await poller.checkStages([stageId], { trigger: "webhook" });
    const poll = await poller.pollNow(stageId);

    expect(hook).toMatchObject({ trigger: "webhook", candidates: 1, busy: [] });
    expect(poll.candidates).toBe(0);
    const rows = await deploysOf(stageId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.trigger).toBe("webhook");
    expect(candidates.map((candidate) => candidate.trigger)).toEqual(["webhook"]);
  });

  test("webhook check retries a leased stage", async () => {
    await push("acme/leased", "v1.0.0");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/leased" });
    const { poller } = newPoller();
    await poller.pollNow(stageId);
    await push("acme/leased", "v1.0.1");
    await claimStages(handle.db, {
      owner: "cycle-elsewhere",
      now: clock.now(),
      leaseSeconds: 60,
      stageIds: [stageId],
    });

    const check = poller.checkStages([stageId], { trigger: "webhook" });
    await expect.poll(() => clock.pending()).toBe(1);
    await releasePollLeases(handle.db, { stageIds: [stageId], owner: "cycle-elsewhere" });
    clock.advanceBy(1000);
    const summary = await check;

    expect(summary).toMatchObject({ candidates: 1, busy: [], missing: [] });
    expect(await deploysOf(stageId)).toHaveLength(1);
  });

  test("webhook check reports a stage still leased", async () => {
    await push("acme/held", "v1.0.0");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/held" });
    await claimStages(handle.db, {
      owner: "stuck",
      now: clock.now(),
      leaseSeconds: 600,
      stageIds: [stageId],
    });
    const poller = createPoller({ db: handle.db, clock, busyRetries: 2 });

    const check = poller.checkStages([stageId]);
    for (let retry = 0; retry < 2; retry += 1) {
      await expect.poll(() => clock.pending()).toBe(1);
      clock.advanceBy(1000);
    }
    const summary = await check;

    expect(summary).toMatchObject({ stages: 0, busy: [stageId], missing: [] });
    expect(clock.pending()).toBe(0);
  });

  test("stop ends a webhook check waiting on a lease", async () => {
    await push("acme/waiting", "v1.0.0");
    const stageId = await seedStage(handle.db, { registryId, repository: "acme/waiting" });
    await claimStages(handle.db, {
      owner: "stuck",
      now: clock.now(),
      leaseSeconds: 600,
      stageIds: [stageId],
    });
    const { poller } = newPoller();

    const check = poller.checkStages([stageId]);
    await expect.poll(() => clock.pending()).toBe(1);
    await poller.stop();

    expect(await check).toMatchObject({ busy: [stageId] });
    expect(clock.pending()).toBe(0);
  });

  test("check of an unknown stage reports it missing", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    const { poller } = newPoller();

    const summary = await poller.checkStages([unknown]);

    expect(summary).toMatchObject({ stages: 0, busy: [], missing: [unknown] });
  });

  test("each image is listed once per cycle", async () => {
    await push("acme/shared", "v1.0.0");
    await push("acme/shared", "dev-1");
    const stageIds = await Promise.all(
      ["a", "b", "c", "d"].map((name) =>
        seedStage(handle.db, {
          registryId: countedRegistryId,
          repository: "acme/shared",
          name,
          ...(name === "d" ? { include: ["dev-*"], policy: { kind: "alphabetical" } } : {}),
        }),
      ),
    );
    const { poller } = newPoller();
    proxy.requests.length = 0;

    const summary = await poller.checkStages(stageIds, { trigger: "poll" });

    expect(summary).toMatchObject({ stages: 4, images: 1, errors: 0 });
    const listings = proxy.requests.filter((request) => request.includes("/tags/list"));
    expect(listings).toHaveLength(1);
    const states = await Promise.all(stageIds.map(stateOf));
    expect(states.map((state) => state?.lastTag)).toEqual(["v1.0.0", "v1.0.0", "v1.0.0", "dev-1"]);
  });

  const pushBuilt = (repository: string, tag: string, created: string) =>
    pushTestImage({
      registry: registry.host,
      repository,
      tag,
      created,
      content: `${repository}:${tag}`,
    });
  const configReads = () => proxy.requests.filter((request) => request.includes("/blobs/"));

  test("newest stage follows creation times", async () => {
    await pushBuilt("acme/built", "build-b", "2026-02-01T00:00:00Z");
    await pushBuilt("acme/built", "build-c", "2026-03-01T00:00:00Z");
    const stageId = await seedStage(handle.db, {
      registryId: countedRegistryId,
      repository: "acme/built",
      include: ["build-*"],
      policy: { kind: "newest" },
    });
    const { poller, candidates } = newPoller();
    proxy.requests.length = 0;
    await poller.pollNow(stageId);
    const firstReads = configReads().length;
    expect((await stateOf(stageId))?.lastTag).toBe("build-c");

    // Sorts below both older tags by name, so only its creation time makes it the newest.
    const { digest } = await pushBuilt("acme/built", "build-a", "2026-04-01T00:00:00Z");
    const found = await poller.pollNow(stageId);
    const again = await poller.pollNow(stageId);

    expect(firstReads).toBe(2);
    expect(found.candidates).toBe(1);
    expect(again.candidates).toBe(0);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]).toMatchObject({ stageId, tag: "build-a", digest });
    expect(await deploysOf(stageId)).toHaveLength(1);
  });

  test("newest stages read each config once", async () => {
    await pushBuilt("acme/dated", "x-1", "2026-02-01T00:00:00Z");
    await pushBuilt("acme/dated", "y-1", "2026-03-01T00:00:00Z");
    const stageIds = await Promise.all(
      [["x-*"], ["y-*"], ["*-1"]].map((include, index) =>
        seedStage(handle.db, {
          registryId: countedRegistryId,
          repository: "acme/dated",
          name: `stage-${index}`,
          include,
          policy: { kind: "newest" },
        }),
      ),
    );
    const { poller } = newPoller();
    proxy.requests.length = 0;

    const summary = await poller.checkStages(stageIds, { trigger: "poll" });

    expect(summary).toMatchObject({ stages: 3, images: 1, errors: 0 });
    expect(proxy.requests.filter((request) => request.includes("/tags/list"))).toHaveLength(1);
    expect(configReads()).toHaveLength(2);
    const states = await Promise.all(stageIds.map(stateOf));
    expect(states.map((state) => state?.lastTag)).toEqual(["x-1", "y-1", "y-1"]);
  });

  test("other policies read no image configs", async () => {
    await pushBuilt("acme/versioned", "v1.0.0", "2026-02-01T00:00:00Z");
    await pushBuilt("acme/versioned", "v1.1.0", "2026-01-01T00:00:00Z");
    const stageIds = await Promise.all(
      (["semver", "alphabetical"] as const).map((kind) =>
        seedStage(handle.db, {
          registryId: countedRegistryId,
          repository: "acme/versioned",
          name: kind,
          policy: { kind },
        }),
      ),
    );
    const { poller } = newPoller();
    proxy.requests.length = 0;

    const summary = await poller.checkStages(stageIds, { trigger: "poll" });

    expect(summary).toMatchObject({ stages: 2, errors: 0 });
    expect(configReads()).toEqual([]);
    expect(
      proxy.requests.filter((request) => request.startsWith("GET /v2/acme/versioned/manifests")),
    ).toEqual([]);
    const states = await Promise.all(stageIds.map(stateOf));
    expect(states.map((state) => state?.lastTag)).toEqual(["v1.1.0", "v1.1.0"]);
  });

  test("two pollers on one database make each candidate once", async () => {
    const stageIds: string[] = [];
    for (let index = 0; index < 12; index += 1) {
      const repository = `acme/race-${index}`;
      await push(repository, "v1.0.0");
      stageIds.push(await seedStage(handle.db, { registryId, repository }));
    }
    const one = newPoller("poller-one");
    const two = newPoller("poller-two");
    await one.poller.checkStages(stageIds, { trigger: "poll" });
    for (let index = 0; index < 12; index += 1) {
      await push(`acme/race-${index}`, "v1.1.0");
    }

    const results = await Promise.all([
      one.poller.checkStages(stageIds, { trigger: "poll" }),
      two.poller.checkStages(stageIds, { trigger: "poll" }),
      one.poller.checkStages(stageIds, { trigger: "poll" }),
      two.poller.checkStages(stageIds, { trigger: "poll" }),
    ]);

    const polled = results.reduce((sum, result) => sum + result.stages, 0);
    const made = results.reduce((sum, result) => sum + result.candidates, 0);
    expect(polled).toBeGreaterThanOrEqual(12);
    expect(made).toBe(12);
    expect(one.candidates.length + two.candidates.length).toBe(12);
    const rows = await handle.db.select().from(deploys);
    const raced = rows.filter((row) => stageIds.includes(row.stageId));
    expect(raced).toHaveLength(12);
    expect(new Set(raced.map((row) => row.stageId)).size).toBe(12);
  });
});

describe(`poller edge cases on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;
  let registryId: string;

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
    registryId = await seedRegistry(handle.db, registry.url);
  });
  afterAll(async () => {
    await registry?.stop();
    await handle?.close();
  });

  const deploysOf = (stageId: string) =>
    handle.db.query.deploys.findMany({ where: (row, { eq }) => eq(row.stageId, stageId) });

  test("poller that lost its lease writes nothing", async () => {
    const repository = "acme/stale";
    await pushTestImage({ registry: registry.host, repository, tag: "v1.0.0" });
    const stageId = await seedStage(handle.db, { registryId, repository });
    const clock = new FakeClock(new Date("2026-01-01T00:00:00Z"));
    let release = () => {};
    let listing = false;
    const stale = createPoller({
      db: handle.db,
      clock,
      owner: "stale",
      leaseSeconds: 60,
      registries: (connection) => {
        const client = createRegistry(connection);
        return {
          getDigest: (...args) => client.getDigest(...args),
          addCreatedAt: (...args) => client.addCreatedAt(...args),
          async listTags(...args) {
            listing = true;
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            return client.listTags(...args);
          },
        };
      },
    });

    const check = stale.checkStages([stageId], { trigger: "poll" });
    await expect.poll(() => listing).toBe(true);
    const taken = await claimStages(handle.db, {
      owner: "other",
      now: new Date("2026-01-01T00:01:01Z"),
      leaseSeconds: 60,
      stageIds: [stageId],
    });
    release();
    const summary = await check;

    expect(taken).toHaveLength(1);
    expect(summary).toMatchObject({ stages: 0, errors: 0 });
    expect(stale.counters().leasesLost).toBe(1);
    const state = await handle.db.query.pollState.findFirst({
      where: (row, { eq }) => eq(row.stageId, stageId),
    });
    expect(state?.initialized).toBe(false);
    expect(state?.lockedBy).toBe("other");
  });

  test("failing onCandidate keeps the deploy row", async () => {
    const repository = "acme/queue-down";
    await pushTestImage({ registry: registry.host, repository, tag: "v1.0.0" });
    const stageId = await seedStage(handle.db, { registryId, repository });
    const errors: string[] = [];
    const poller = createPoller({
      db: handle.db,
      onCandidate: () => Promise.reject(new Error("queue unavailable")),
      logger: {
        debug: () => {},
        info: () => {},
        warn: () => {},
        error: (_fields, message) => {
          errors.push(message);
        },
      },
    });
    await poller.pollNow(stageId);
    await pushTestImage({ registry: registry.host, repository, tag: "v1.0.1" });

    const summary = await poller.pollNow(stageId);

    expect(summary.candidates).toBe(1);
    expect(await deploysOf(stageId)).toHaveLength(1);
    expect(errors).toEqual(["onCandidate failed; the deploy row stays for the queue to pick up"]);
  });

  test("registry token without decryptSecret fails its stages", async () => {
    const [row] = await handle.db
      .insert(registries)
      .values({ name: "with-token", type: "oci", url: registry.url, tokenEncrypted: "v1:abc" })
      .returning({ id: registries.id });
    const stageId = await seedStage(handle.db, { registryId: row!.id, repository: "acme/any" });
    const poller = createPoller({ db: handle.db });

    const summary = await poller.pollNow(stageId);

    expect(summary.errors).toBe(1);
    const state = await handle.db.query.pollState.findFirst({
      where: (poll, { eq }) => eq(poll.stageId, stageId),
    });
    expect(state?.lastError).toBe(
      "registry with-token has a token, but the poller was created without decryptSecret; pass the store's decryptSecret to createPoller",
    );
  });

  test("decryptSecret output reaches the registry client", async () => {
    const [row] = await handle.db
      .insert(registries)
      .values({ name: "decrypted", type: "oci", url: registry.url, tokenEncrypted: "sealed" })
      .returning({ id: registries.id });
    const stageId = await seedStage(handle.db, { registryId: row!.id, repository: "acme/any" });
    const seen: Array<string | undefined> = [];
    const poller = createPoller({
      db: handle.db,
      decryptSecret: (value) => `plain-${value}`,
      registries: (connection) => {
        seen.push(connection.token);
        return createRegistry(connection);
      },
    });

    await poller.pollNow(stageId);

    expect(seen).toEqual(["plain-sealed"]);
  });
});

describe(`poller logging on ${engine}`, () => {
  let handle: DatabaseHandle;
  let registry: TestRegistry;

  beforeAll(async () => {
    [handle, registry] = await Promise.all([openTestDatabase(engine), startRegistry()]);
  });
  afterAll(async () => {
    await registry?.stop();
    await handle?.close();
  });

  test("quiet cycle logs one info line", async () => {
    const registryId = await seedRegistry(handle.db, registry.url);
    await pushTestImage({ registry: registry.host, repository: "acme/quiet", tag: "v1.0.0" });
    const stageIds = await Promise.all(
      ["a", "b"].map((name) =>
        seedStage(handle.db, { registryId, repository: "acme/quiet", name }),
      ),
    );
    const lines: Array<{ level: string; fields: object; message: string }> = [];
    const write = (level: string) => (fields: object, message: string) => {
      lines.push({ level, fields, message });
    };
    const poller = createPoller({
      db: handle.db,
      logger: {
        debug: write("debug"),
        info: write("info"),
        warn: write("warn"),
        error: write("error"),
      },
    });
    await poller.checkStages(stageIds, { trigger: "poll" });
    lines.length = 0;

    await poller.checkStages(stageIds, { trigger: "poll" });

    expect(lines.filter((line) => line.level === "debug").map((line) => line.message)).toEqual([
      "nothing new",
      "nothing new",
    ]);
    const infos = lines.filter((line) => line.level === "info");
    expect(infos).toHaveLength(1);
    expect(infos[0]?.message).toBe("stage check finished");
    expect(infos[0]?.fields).toMatchObject({ stages: 2, images: 1, candidates: 0, errors: 0 });
    expect(lines.filter((line) => line.level === "warn" || line.level === "error")).toEqual([]);
  });
});
