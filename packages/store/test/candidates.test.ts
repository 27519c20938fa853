import { createTestDatabase, testServerUrl } from "@berth/testing";
import { afterAll, describe, expect, test } from "vitest";
import {
  type DatabaseHandle,
  deploys,
  insertCandidate,
  openDatabase,
  projects,
  registries,
  StoreError,
  stages,
  toStoreError,
} from "../src/index.js";

const serverUrl = testServerUrl();
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function open(engine: "pglite" | "postgres"): Promise<DatabaseHandle> {
  let url: string | undefined;
  if (engine === "postgres" && serverUrl) {
    const database = await createTestDatabase(serverUrl);
    cleanups.push(database.drop);
    url = database.url;
  }
  const handle = await openDatabase({ url, dataDir: "memory://" });
  cleanups.push(handle.close);
  await handle.migrate();
  return handle;
}

async function seedStage(handle: DatabaseHandle): Promise<string> {
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
  return stage!.id;
}

const DIGEST = `sha256:${"a".repeat(64)}`;

describe.each([
  { engine: "pglite" as const },
  ...(serverUrl ? [{ engine: "postgres" as const }] : []),
])("candidates on $engine", ({ engine }) => {
  test("webhook and poll of one tag make one deploy", async () => {
    const handle = await open(engine);
    const stageId = await seedStage(handle);

    const first = await insertCandidate(handle.db, {
      stageId,
      tag: "dev-1",
      digest: DIGEST,
      trigger: "webhook",
      autoDeploy: true,
    });
    const second = await insertCandidate(handle.db, {
      stageId,
      tag: "dev-1",
      digest: DIGEST,
      trigger: "poll",
      autoDeploy: true,
    });

    expect(first).toEqual(expect.any(String));
    expect(second).toBeNull();
    const rows = await handle.db.select().from(deploys);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe("queued");
  });

  test("stage without auto-deploy waits for approval", async () => {
    const handle = await open(engine);
    const stageId = await seedStage(handle);

    await insertCandidate(handle.db, {
      stageId,
      tag: "v1.0.0",
      digest: DIGEST,
      trigger: "poll",
      autoDeploy: false,
    });

    const [row] = await handle.db.select().from(deploys);
    expect(row?.status).toBe("pending_approval");
  });

  test("second running deploy of a stage is rejected", async () => {
    const handle = await open(engine);
    const stageId = await seedStage(handle);
    const running = {
      stageId,
      tag: "dev-1",
      trigger: "manual" as const,
      status: "running" as const,
    };
    await handle.db.insert(deploys).values(running);

    const error = await handle.db
      .insert(deploys)
      .values({ ...running, tag: "dev-2" })
      .then(
        () => undefined,
        (caught: unknown) => toStoreError(caught),
      );

    expect(error).toBeInstanceOf(StoreError);
    expect(error?.kind).toBe("unique_violation");
    expect(error?.code).toBe("23505");
  });
});
