import { afterAll, describe, expect, test } from "vitest";
import {
  createApiToken,
  createProject,
  createRegistry,
  createSecrets,
  createUser,
  type DatabaseHandle,
  deleteProject,
  exportConfig,
  generateSecretKey,
  importConfig,
  listApiTokens,
  parseKeyring,
  StoreError,
  useApiToken,
} from "../src/index.js";
import { openTestDatabase, testEngines } from "../src/testing.js";

const secrets = createSecrets(parseKeyring(generateSecretKey()));
const handles: DatabaseHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

const NOW = new Date("2026-06-01T12:00:00Z");

describe.each(testEngines())("api tokens on $engine", ({ engine }) => {
  async function seed() {
    const handle = await openTestDatabase(engine);
    handles.push(handle);
    const { db } = handle;
    const user = await createUser(db, { username: "ci", passwordHash: "x", role: "operator" });
    const registry = await createRegistry(db, secrets, {
      name: "local",
      type: "oci",
      url: "http://127.0.0.1:5000",
    });
    const project = await createProject(db, {
      slug: "shop",
      name: "Shop",
      registryId: registry.id,
      repository: "acme/shop",
    });
    return { db, user, project };
  }

  test("project limit is listed and returned on use", async () => {
    const { db, user, project } = await seed();

    const limited = await createApiToken(db, {
      name: "shop-ci",
      tokenHash: "hash-limited",
      prefix: "berth_aaaaaa",
      scope: "deploy",
      userId: user.id,
      projectId: project.id,
      expiresAt: null,
    });
    const owner = await useApiToken(db, "hash-limited", NOW);

    expect(limited.projectId).toBe(project.id);
    expect(owner?.project).toEqual({ id: project.id, slug: "shop" });
    expect((await listApiTokens(db, user.id)).map((token) => token.projectId)).toEqual([
      project.id,
    ]);
  });

  test("token without a project limit reaches every project", async () => {
    const { db, user } = await seed();

    const token = await createApiToken(db, {
      name: "all",
      tokenHash: "hash-all",
      prefix: "berth_bbbbbb",
      scope: "read",
      userId: user.id,
      expiresAt: null,
    });
    const owner = await useApiToken(db, "hash-all", NOW);

    expect(token.projectId).toBeNull();
    expect(owner?.project).toBeNull();
  });

  test("deleting the project deletes its tokens", async () => {
    const { db, user, project } = await seed();
    await createApiToken(db, {
      name: "shop-ci",
      tokenHash: "hash-deleted",
      prefix: "berth_cccccc",
      scope: "deploy",
      userId: user.id,
      projectId: project.id,
      expiresAt: null,
    });

    await deleteProject(db, project.id);

    expect(await useApiToken(db, "hash-deleted", NOW)).toBeUndefined();
    expect(await listApiTokens(db, user.id)).toEqual([]);
  });

  test("unknown project is a foreign key violation", async () => {
    const { db, user } = await seed();

    const error = await createApiToken(db, {
      name: "ghost",
      tokenHash: "hash-ghost",
      prefix: "berth_dddddd",
      scope: "read",
      userId: user.id,
      projectId: "00000000-0000-4000-8000-000000000000",
      expiresAt: null,
    }).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe("foreign_key_violation");
  });

  test("config export and import leave tokens alone", async () => {
    const { db, user, project } = await seed();
    await createApiToken(db, {
      name: "shop-ci",
      tokenHash: "hash-export",
      prefix: "berth_eeeeee",
      scope: "deploy",
      userId: user.id,
      projectId: project.id,
      expiresAt: null,
    });

    const exported = await exportConfig(db);
    await importConfig(db, secrets, { text: exported, file: "exported.yaml", env: {} });

    expect(exported).not.toContain("shop-ci");
    expect(exported).not.toContain("berth_eeeeee");
    expect((await useApiToken(db, "hash-export", NOW))?.project?.id).toBe(project.id);
  });
});
