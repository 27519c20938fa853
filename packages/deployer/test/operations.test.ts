import { type DatabaseHandle, deploys, projects, registries, stages } from "@berth/store";
import { openTestDatabase } from "@berth/store/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OperationError } from "../src/errors.js";
import { cancelDeploy, deployTag, promote, redeploy, rollback } from "../src/operations.js";

let handle: DatabaseHandle;
let stageId: string;
let prodId: string;
beforeAll(async () => {
  handle = await openTestDatabase("pglite");
  const [registry] = await handle.db
    .insert(registries)
    .values({ name: "local", type: "oci", url: "http://127.0.0.1:5000" })
    .returning();
  const [project] = await handle.db
    .insert(projects)
    .values({ slug: "shop", name: "Shop", registryId: registry!.id, repository: "acme/shop" })
    .returning();
  const [stage] = await handle.db
    .insert(stages)
    .values({ projectId: project!.id, name: "dev", policy: { kind: "newest" } })
    .returning();
  const [prod] = await handle.db
    .insert(stages)
    .values({
      projectId: project!.id,
      name: "prod",
      policy: { kind: "newest" },
      promoteFromStageId: stage!.id,
    })
    .returning();
  stageId = stage!.id;
  prodId = prod!.id;
});
afterAll(async () => {
  await handle?.close();
});

async function rejection(promise: Promise<unknown>): Promise<OperationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OperationError);
  return error as OperationError;
}

describe("manual operations reject bad input", () => {
  test.each([
    [{ tag: "bad tag" }, 'invalid tag "bad tag"'],
    [{ tag: "1.0", digest: "sha256:xyz" }, 'invalid digest "sha256:xyz"'],
    [{ tag: "1.0", stageId: "not-a-uuid" }, "stage not-a-uuid not found: check the stage id"],
  ])("deployTag %o", async (input, message) => {
    const before = await handle.db.select().from(deploys);

    const error = await rejection(deployTag(handle.db, { stageId, requestedBy: "t", ...input }));

    expect(error.message).toContain(message);
    expect(await handle.db.select().from(deploys)).toEqual(before);
  });

  test("rollback only to a succeeded deploy", async () => {
    const failed = await deployTag(handle.db, { stageId, tag: "1.0", requestedBy: "t" });

    const error = await rejection(rollback(handle.db, { deployId: failed.id, requestedBy: "t" }));

    expect(error.message).toBe(
      `deploy ${failed.id} is queued: roll back only to a succeeded deploy`,
    );
  });

  test("redeploy needs a resolved digest", async () => {
    const unresolved = await deployTag(handle.db, { stageId, tag: "1.1", requestedBy: "t" });

    const error = await rejection(
      redeploy(handle.db, { deployId: unresolved.id, requestedBy: "t" }),
    );

    expect(error.message).toMatch(/never resolved a digest: deploy its tag 1.1 instead/);
  });

  test("promotion needs something running in the source stage", async () => {
    const error = await rejection(promote(handle.db, { stageId: prodId, requestedBy: "t" }));

    expect(error.kind).toBe("conflict");
    expect(error.message).toBe(
      "nothing runs in the stage that prod promotes from: deploy there first",
    );
  });

  test("promotion needs a promote_from stage", async () => {
    const error = await rejection(promote(handle.db, { stageId, requestedBy: "t" }));

    expect(error.message).toBe("stage dev has no promote_from stage: set one before promoting");
  });

  test("cancel only before the deploy starts", async () => {
    const queued = await deployTag(handle.db, { stageId, tag: "2.0", requestedBy: "t" });

    const cancelled = await cancelDeploy(handle.db, { deployId: queued.id, cancelledBy: "erin" });
    const error = await rejection(
      cancelDeploy(handle.db, { deployId: queued.id, cancelledBy: "erin" }),
    );

    expect(cancelled.status).toBe("cancelled");
    expect(error.message).toBe(
      `cannot cancel deploy ${queued.id}: it is cancelled; only queued or pending_approval deploys can be cancelled`,
    );
  });
});
