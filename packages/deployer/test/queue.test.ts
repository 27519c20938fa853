import {
  claimNextDeploy,
  type DatabaseHandle,
  type Deploy,
  deploys,
  instances,
  listDeployLogs,
  openDatabase,
  queueDeploy,
} from "@berth/store";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployTag } from "../src/operations.js";
import { addStage, makeWorker, pushShop, type Rig, startRig } from "./support/rig.js";

// Several processes on one database is the case under test: PGlite has one connection, so
// these tests need the Postgres server the test rig runs.
process.env.TEST_DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/test";

let rig: Rig;
let second: DatabaseHandle;
beforeAll(async () => {
  rig = await startRig("postgres");
  second = await openDatabase({ url: rig.handle.location, maxConnections: 4 });
});
afterAll(async () => {
  await second?.close();
  await rig?.stop();
});

describe("deploy queue on Postgres", () => {
  test("parallel claims take one deploy per stage within the limit", async () => {
    const stages = [
      await addStage(rig, { name: "q1" }),
      await addStage(rig, { name: "q2" }),
      await addStage(rig, { name: "q3" }),
    ];
    for (const stage of stages) {
      for (const tag of ["a", "b"]) {
        await queueDeploy(rig.handle.db, {
          stageId: stage.id,
          tag,
          digest: null,
          trigger: "manual",
        });
      }
    }
    const claim = (db: DatabaseHandle["db"], index: number) =>
      claimNextDeploy(db, { workerId: `w${index}`, maxRunning: 2, now: new Date() });

    const claimed = await Promise.all(
      Array.from({ length: 12 }, (_, index) => claim(index % 2 ? second.db : rig.handle.db, index)),
    );

    const taken = claimed.filter((deploy): deploy is Deploy => deploy !== null);
    expect(taken).toHaveLength(2);
    expect(new Set(taken.map((deploy) => deploy.stageId)).size).toBe(2);
    await rig.handle.db
      .update(deploys)
      .set({ status: "cancelled" })
      .where(
        inArray(
          deploys.stageId,
          stages.map((stage) => stage.id),
        ),
      );
  });

  test("two workers on one database run each deploy once", async () => {
    await pushShop(rig, "1.0");
    await pushShop(rig, "1.1");
    const stageA = await addStage(rig, { name: "wa" });
    const stageB = await addStage(rig, { name: "wb" });
    const queued: Deploy[] = [];
    for (const stage of [stageA, stageB]) {
      for (const tag of ["1.0", "1.1"]) {
        queued.push(await deployTag(rig.handle.db, { stageId: stage.id, tag, requestedBy: "t" }));
      }
    }
    const first = makeWorker(rig, { workerId: "first" });
    const other = makeWorker(rig, { db: second.db, workerId: "second" });

    // A stage's second deploy waits while its first runs, so a worker can go idle early.
    for (let round = 0; round < 5; round += 1) {
      await Promise.all([first.runUntilIdle(), other.runUntilIdle()]);
    }

    const rows = await rig.handle.db
      .select()
      .from(deploys)
      .where(
        inArray(
          deploys.id,
          queued.map((deploy) => deploy.id),
        ),
      );
    expect(rows.map((row) => row.status)).toEqual(Array(4).fill("succeeded"));
    for (const row of rows) {
      const made = await rig.handle.db
        .select()
        .from(instances)
        .where(eq(instances.deployId, row.id));
      expect(made).toHaveLength(1);
      const finished = (await listDeployLogs(rig.handle.db, row.id)).filter(
        (line) => line.message === "deploy succeeded",
      );
      expect(finished).toHaveLength(1);
    }
    expect(new Set(rows.map((row) => row.claimedBy))).toEqual(new Set(["first", "second"]));
  });
});
