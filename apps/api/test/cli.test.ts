import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, testServerUrl } from "@berth/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runBerth, serveBerth } from "./cli-helpers.js";

const EXAMPLE_FILE = fileURLToPath(new URL("../../../examples/berth.yaml", import.meta.url));
const EXAMPLE_ENV = {
  BERTH_NPM_PASSWORD: "npm-password",
  BERTH_GITEA_WEBHOOK_SECRET: "webhook-secret",
  BERTH_GITEA_TOKEN: "gitea-token",
  SHOP_DEV_DB_PASSWORD: "dev-db-password",
  SHOP_PROD_DB_PASSWORD: "prod-db-password",
};

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), "berth-cli-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

// Each test starts one or two processes that open PGlite, which takes 5 to 15 s on a busy
// 2-core machine.
describe("berth on the embedded database", { timeout: 120_000 }, () => {
  const dataDir = () => path.join(folder, "data");

  test("first start imports the seed file and generates a key", async () => {
    const server = await serveBerth({
      BERTH_DATA_DIR: dataDir(),
      BERTH_SEED_FILE: EXAMPLE_FILE,
      ...EXAMPLE_ENV,
    });
    const result = await server.stop();

    expect(server.health).toMatchObject({
      status: "ok",
      database: { engine: "pglite", reachable: true },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `is listening on ${server.url}, data in ${path.join(dataDir(), "db")}`,
    );
    expect(result.stdout).toContain("imported the seed file");
    expect(result.stdout).toContain("generated a secret key");
    expect((await stat(path.join(dataDir(), "secret.key"))).mode & 0o777).toBe(0o600);
  });

  test("restart keeps the data", async () => {
    const server = await serveBerth({ BERTH_DATA_DIR: dataDir() });
    const whileServing = await runBerth(["export"], { BERTH_DATA_DIR: dataDir() });
    const stopped = await server.stop("SIGINT");
    const exported = await runBerth(["export"], { BERTH_DATA_DIR: dataDir() });

    expect(whileServing.code).toBe(1);
    expect(whileServing.stderr).toMatch(
      /^berth export: the data directory .* is in use by process \d+: stop that Berth first, or set BERTH_DATA_DIR to another folder\n$/,
    );
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('"signal":"SIGINT"');
    expect(stopped.stdout).toContain("Berth stopped");
    expect(stopped.stdout).not.toContain("generated a secret key");
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain("slug: shop");
    expect(exported.stdout).toContain("name: gitea-main");
    for (const secret of Object.values(EXAMPLE_ENV)) {
      expect(exported.stdout).not.toContain(secret);
    }
  });

  test("import of the same file changes nothing", async () => {
    const result = await runBerth(["import", EXAMPLE_FILE], {
      BERTH_DATA_DIR: dataDir(),
      ...EXAMPLE_ENV,
    });

    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`imported ${EXAMPLE_FILE}: 0 created, 0 updated, 6 unchanged\n`);
    expect(result.code).toBe(0);
  });

  test("bad YAML prints one line and exits non-zero", async () => {
    const file = path.join(folder, "bad.yaml");
    await writeFile(file, "projects:\n  - slug: [unclosed\n");

    const result = await runBerth(["import", file], { BERTH_DATA_DIR: dataDir() });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^berth import: .*bad\.yaml is invalid: YAML syntax error at line 3, column 1: .*\n$/,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("bad tag pattern import names its path", async () => {
    const file = path.join(folder, "bad-tags.yaml");
    await writeFile(
      file,
      [
        "registries:",
        '  - { name: local, type: oci, url: "http://127.0.0.1:5000" }',
        "projects:",
        "  - slug: tags",
        "    registry: local",
        "    repository: acme/tags",
        "    stages:",
        '      - { name: dev, policy: { kind: newest }, tags: { include: ["dev-*,"] } }',
        "",
      ].join("\n"),
    );

    const result = await runBerth(["import", file], { BERTH_DATA_DIR: dataDir() });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'bad-tags.yaml is invalid: projects[0].stages[0].tags.include[0]: invalid include pattern "dev-*,": tags contain no ","',
    );
  });

  test("wrong secret key prints one line and exits non-zero", async () => {
    const otherKey = Buffer.alloc(32, 9).toString("base64");

    const result = await runBerth(["migrate"], {
      BERTH_DATA_DIR: dataDir(),
      BERTH_SECRET_KEY: otherKey,
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `berth migrate: BERTH_SECRET_KEY does not match the data in ${path.join(dataDir(), "db")}: start Berth with the key this database was created with\n`,
    );
  });

  test("seed file that failed is imported on the next start", async () => {
    const seedDir = path.join(folder, "seed");
    const missing = path.join(folder, "missing.yaml");

    const failed = await runBerth(["serve"], { BERTH_DATA_DIR: seedDir, BERTH_SEED_FILE: missing });
    const server = await serveBerth({
      BERTH_DATA_DIR: seedDir,
      BERTH_SEED_FILE: EXAMPLE_FILE,
      ...EXAMPLE_ENV,
    });
    const result = await server.stop();

    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `berth serve: cannot read BERTH_SEED_FILE ${missing}: no such file\n`,
    );
    expect(result.stdout).toContain("imported the seed file");
    expect(result.code).toBe(0);
  });

  test("invalid variable prints one line and exits non-zero", async () => {
    const result = await runBerth(["serve"], { BERTH_DATA_DIR: dataDir(), BERTH_PORT: "eighty" });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'berth serve: BERTH_PORT is "eighty": expected a whole number from 1 to 65535\n',
    );
  });
});

describe("berth key rotation", { timeout: 120_000 }, () => {
  test("moves secrets to the new key", async () => {
    const dataDir = path.join(folder, "data");
    const oldKey = (await readFile(path.join(dataDir, "secret.key"), "utf8")).trim();
    const newKey = Buffer.alloc(32, 5).toString("base64");

    const rotating = await runBerth(["migrate"], {
      BERTH_DATA_DIR: dataDir,
      BERTH_SECRET_KEY: `v2:${newKey},v1:${oldKey}`,
      BERTH_LOG_LEVEL: "debug",
    });
    const afterwards = await runBerth(["export"], {
      BERTH_DATA_DIR: dataDir,
      BERTH_SECRET_KEY: `v2:${newKey}`,
    });

    expect(rotating.code).toBe(0);
    // The registry token, two secret stage variables, the NPM password, a webhook secret
    // and the key check value.
    expect(rotating.stderr).toContain('"rewritten":6');
    expect(afterwards.code).toBe(0);
    expect(afterwards.stdout).toContain("slug: shop");
  });
});

describe("berth on a Postgres server", () => {
  test("unreachable DATABASE_URL prints one line and exits non-zero", async () => {
    const result = await runBerth(["serve"], {
      DATABASE_URL: "postgres://berth:pw-s3cret@127.0.0.1:1/berth",
      BERTH_SECRET_KEY: Buffer.alloc(32, 3).toString("base64"),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^berth serve: cannot connect to the Postgres server at 127\.0\.0\.1:1\/berth: .*check that the server is running.*\n$/,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toContain("pw-s3cret");
  });

  // Runs only where TEST_DATABASE_URL names a server, as in CI; no test is registered otherwise.
  const servers = testServerUrl() ? [{ serverUrl: testServerUrl()! }] : [];
  test.each(servers)("serves health on the server", async ({ serverUrl }) => {
    const database = await createTestDatabase(serverUrl);
    try {
      const server = await serveBerth({
        DATABASE_URL: database.url,
        BERTH_SECRET_KEY: Buffer.alloc(32, 4).toString("base64"),
        BERTH_DATA_DIR: path.join(folder, "unused"),
      });
      const result = await server.stop();

      expect(server.health).toMatchObject({ status: "ok", database: { engine: "postgres" } });
      expect(result.code).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
