import { eq } from "drizzle-orm";
import { afterAll, describe, expect, test } from "vitest";
import {
  createProject,
  createRegistry,
  createSecrets,
  createStage,
  type DatabaseHandle,
  deleteProject,
  deleteRegistry,
  generateSecretKey,
  getProjectBySlug,
  getRegistry,
  getRegistryCredentials,
  getSettings,
  getSettingsSecrets,
  getStage,
  getStageEnvForDeploy,
  listRegistries,
  listStages,
  parseKeyring,
  reencryptSecrets,
  registries,
  SecretKeyError,
  StoreError,
  stageEnv,
  updateRegistry,
  updateSettings,
  updateStage,
  verifySecretKey,
} from "../src/index.js";
import { openTestDatabase, testEngines } from "../src/testing.js";

const secrets = createSecrets(parseKeyring(generateSecretKey()));
const handles: DatabaseHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

async function caught(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe.each(testEngines())("queries on $engine", ({ engine }) => {
  let handle: DatabaseHandle;

  async function db() {
    if (!handle) {
      handle = await openTestDatabase(engine);
      handles.push(handle);
    }
    return handle.db;
  }

  async function seedProject(slug: string) {
    const database = await db();
    const registry = await createRegistry(database, secrets, {
      name: `registry-${slug}`,
      type: "oci",
      url: "http://127.0.0.1:5000",
    });
    return createProject(database, {
      slug,
      name: slug,
      registryId: registry.id,
      repository: `acme/${slug}`,
    });
  }

  test("registry token is stored encrypted and never listed", async () => {
    const database = await db();

    const created = await createRegistry(database, secrets, {
      name: "gitea-main",
      type: "gitea",
      url: "https://gitea.example.test",
      username: "ci",
      token: "gitea-token-1",
    });

    expect(created.tokenSet).toBe(true);
    expect(JSON.stringify(await listRegistries(database))).not.toContain("gitea-token-1");
    const [row] = await database.select().from(registries).where(eq(registries.id, created.id));
    expect(row?.tokenEncrypted).toMatch(/^v1:/);
    expect(await getRegistryCredentials(database, secrets, created.id)).toEqual({
      username: "ci",
      token: "gitea-token-1",
    });
  });

  test("registry token is kept, replaced or removed", async () => {
    const database = await db();
    const registry = await createRegistry(database, secrets, {
      name: "ghcr",
      type: "ghcr",
      url: "https://ghcr.io",
      token: "first",
    });

    await updateRegistry(database, secrets, registry.id, { url: "https://ghcr.example.test" });
    const kept = await getRegistryCredentials(database, secrets, registry.id);
    await updateRegistry(database, secrets, registry.id, { token: "second" });
    const replaced = await getRegistryCredentials(database, secrets, registry.id);
    const removed = await updateRegistry(database, secrets, registry.id, { token: null });

    expect(kept.token).toBe("first");
    expect(replaced.token).toBe("second");
    expect(removed.tokenSet).toBe(false);
    expect((await getRegistry(database, registry.id)).url).toBe("https://ghcr.example.test");
  });

  test("duplicate registry name is a unique violation", async () => {
    const database = await db();
    const input = { name: "twice", type: "oci" as const, url: "http://127.0.0.1:5000" };
    await createRegistry(database, secrets, input);

    const error = await caught(createRegistry(database, secrets, input));

    expect(error.kind).toBe("unique_violation");
    expect(error.constraint).toBe("registries_name_key");
  });

  test("registry in use cannot be deleted", async () => {
    const database = await db();
    const project = await seedProject("in-use");

    const error = await caught(deleteRegistry(database, project.registryId));

    expect(error.kind).toBe("foreign_key_violation");
    expect(error.message).toContain("projects_registry_id_registries_id_fk");
  });

  test("unknown or malformed id is not found", async () => {
    const database = await db();

    expect((await caught(getRegistry(database, "not-a-uuid"))).kind).toBe("not_found");
    const missing = "00000000-0000-4000-8000-000000000000";
    expect((await caught(getStage(database, missing))).kind).toBe("not_found");
    expect((await caught(deleteProject(database, missing))).kind).toBe("not_found");
  });

  test("project with unknown registry is a foreign key violation", async () => {
    const database = await db();

    const error = await caught(
      createProject(database, {
        slug: "orphan",
        name: "Orphan",
        registryId: "00000000-0000-4000-8000-000000000000",
        repository: "acme/orphan",
      }),
    );

    expect(error.kind).toBe("foreign_key_violation");
  });

  test("invalid project slug is a check violation", async () => {
    const database = await db();
    const project = await seedProject("valid-slug");

    const error = await caught(
      createProject(database, { ...project, slug: "Not A Slug", repository: "acme/x" }),
    );

    expect(error.kind).toBe("check_violation");
  });

  test("stage keeps env and volumes, secrets hidden", async () => {
    const database = await db();
    const project = await seedProject("shop");

    const stage = await createStage(database, secrets, {
      projectId: project.id,
      name: "dev",
      policy: { kind: "semver", range: "^1" },
      tagInclude: ["v*"],
      env: [
        { key: "LOG_LEVEL", value: "debug" },
        { key: "DB_PASSWORD", value: "pg-secret", secret: true },
      ],
      volumes: [{ kind: "shared", source: "/srv/shop", target: "/data" }],
    });

    expect(stage.env).toEqual([
      { key: "DB_PASSWORD", value: null, secret: true },
      { key: "LOG_LEVEL", value: "debug", secret: false },
    ]);
    expect(stage.volumes).toEqual([
      { kind: "shared", source: "/srv/shop", target: "/data", readOnly: false },
    ]);
    expect(JSON.stringify(await listStages(database, project.id))).not.toContain("pg-secret");
    expect(await getStageEnvForDeploy(database, secrets, stage.id)).toEqual({
      DB_PASSWORD: "pg-secret",
      LOG_LEVEL: "debug",
    });
  });

  test("stage update replaces env in one transaction", async () => {
    const database = await db();
    const project = await seedProject("replace");
    const stage = await createStage(database, secrets, {
      projectId: project.id,
      name: "prod",
      policy: { kind: "newest" },
      env: [{ key: "A", value: "1" }],
    });

    const error = await caught(
      updateStage(database, secrets, stage.id, {
        autoDeploy: true,
        env: [{ key: "not a key", value: "x" }],
      }),
    );
    const afterFailure = await getStage(database, stage.id);
    const updated = await updateStage(database, secrets, stage.id, {
      env: [{ key: "B", value: "2" }],
    });

    expect(error.kind).toBe("check_violation");
    expect(afterFailure.autoDeploy).toBe(false);
    expect(afterFailure.env).toEqual([{ key: "A", value: "1", secret: false }]);
    expect(updated.env).toEqual([{ key: "B", value: "2", secret: false }]);
  });

  test("deleting a project removes its stages and env", async () => {
    const database = await db();
    const project = await seedProject("gone");
    const stage = await createStage(database, secrets, {
      projectId: project.id,
      name: "dev",
      policy: { kind: "newest" },
      env: [{ key: "A", value: "1" }],
    });

    await deleteProject(database, project.id);

    expect((await caught(getProjectBySlug(database, "gone"))).kind).toBe("not_found");
    expect(await database.select().from(stageEnv).where(eq(stageEnv.stageId, stage.id))).toEqual(
      [],
    );
  });

  test("settings secrets are flags until decrypted", async () => {
    const database = await db();

    const updated = await updateSettings(database, secrets, {
      baseDomain: "apps.example.test",
      npmPassword: "npm-pass",
      webhookSecrets: { gitea: "hook-secret" },
    });

    expect(updated.baseDomain).toBe("apps.example.test");
    expect(updated.npmPasswordSet).toBe(true);
    expect(updated.webhookSecretSources).toEqual(["gitea"]);
    expect(JSON.stringify(await getSettings(database))).not.toContain("npm-pass");
    expect(await getSettingsSecrets(database, secrets)).toEqual({
      npmPassword: "npm-pass",
      notificationSecret: null,
      webhookSecrets: { gitea: "hook-secret" },
    });
  });

  test("settings reject an out-of-range value", async () => {
    const database = await db();

    const error = await caught(updateSettings(database, secrets, { pollIntervalSeconds: 1 }));

    expect(error.kind).toBe("check_violation");
    expect((await getSettings(database)).pollIntervalSeconds).toBe(300);
  });

  test("secret key check rejects a different key", async () => {
    const database = await db();
    await verifySecretKey(database, secrets, "the test database");
    await verifySecretKey(database, secrets, "the test database");
    const other = createSecrets(parseKeyring(generateSecretKey()));

    const error = await verifySecretKey(database, other, "the test database").then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(SecretKeyError);
    expect((error as Error).message).toBe(
      "BERTH_SECRET_KEY does not match the data in the test database: start Berth with the key this database was created with",
    );
  });
});

describe.each(testEngines())("key rotation on $engine", ({ engine }) => {
  test("re-encrypts every secret under the new key", async () => {
    const handle = await openTestDatabase(engine);
    handles.push(handle);
    const oldKey = generateSecretKey();
    const newKey = generateSecretKey();
    const before = createSecrets(parseKeyring(oldKey));
    await verifySecretKey(handle.db, before, "the test database");
    const registry = await createRegistry(handle.db, before, {
      name: "rotated",
      type: "oci",
      url: "http://127.0.0.1:5000",
      token: "registry-token",
    });
    const project = await createProject(handle.db, {
      slug: "rotated",
      name: "Rotated",
      registryId: registry.id,
      repository: "acme/rotated",
    });
    const stage = await createStage(handle.db, before, {
      projectId: project.id,
      name: "dev",
      policy: { kind: "newest" },
      env: [{ key: "PASSWORD", value: "env-secret", secret: true }],
    });
    await updateSettings(handle.db, before, {
      npmPassword: "npm-pass",
      webhookSecrets: { github: "hook-secret" },
    });

    const during = createSecrets(parseKeyring(`v2:${newKey},v1:${oldKey}`));
    const rewritten = await reencryptSecrets(handle.db, during);
    const again = await reencryptSecrets(handle.db, during);
    const after = createSecrets(parseKeyring(`v2:${newKey}`));

    expect(rewritten).toBe(5);
    expect(again).toBe(0);
    await verifySecretKey(handle.db, after, "the test database");
    expect((await getRegistryCredentials(handle.db, after, registry.id)).token).toBe(
      "registry-token",
    );
    expect(await getStageEnvForDeploy(handle.db, after, stage.id)).toEqual({
      PASSWORD: "env-secret",
    });
    expect(await getSettingsSecrets(handle.db, after)).toEqual({
      npmPassword: "npm-pass",
      notificationSecret: null,
      webhookSecrets: { github: "hook-secret" },
    });
  });
});
