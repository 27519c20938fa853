import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import {
  ConfigFileError,
  createSecrets,
  type DatabaseHandle,
  exportConfig,
  generateSecretKey,
  getRegistryCredentials,
  getSettings,
  getSettingsSecrets,
  getStageEnvForDeploy,
  importConfig,
  listProjects,
  listRegistries,
  listStages,
  parseKeyring,
  registries,
  stageEnv,
} from "../src/index.js";
import { openTestDatabase, testEngines } from "../src/testing.js";

const EXAMPLE_FILE = fileURLToPath(new URL("../../../examples/berth.yaml", import.meta.url));
const EXAMPLE_ENV = {
  BERTH_NPM_PASSWORD: "npm-password",
  BERTH_GITEA_WEBHOOK_SECRET: "webhook-secret",
  BERTH_GITEA_TOKEN: "gitea-token",
  SHOP_DEV_DB_PASSWORD: "dev-db-password",
  SHOP_PROD_DB_PASSWORD: "prod-db-password",
};
const secrets = createSecrets(parseKeyring(generateSecretKey()));
const handles: DatabaseHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

async function freshDatabase(engine: "pglite" | "postgres") {
  const handle = await openTestDatabase(engine);
  handles.push(handle);
  return handle.db;
}

const VALID_HEAD = `
registries:
  - { name: local, type: oci, url: "http://127.0.0.1:5000" }
projects:
  - slug: shop
    registry: local
    repository: acme/shop
    stages:
      - { name: dev, policy: { kind: newest } }
`;

describe.each(testEngines())("config file on $engine", ({ engine }) => {
  test("imports the example file", async () => {
    const db = await freshDatabase(engine);
    const text = await readFile(EXAMPLE_FILE, "utf8");

    const summary = await importConfig(db, secrets, { text, file: "berth.yaml", env: EXAMPLE_ENV });

    expect(summary).toEqual({ created: 5, updated: 1, unchanged: 0 });
    const [registry] = await listRegistries(db);
    expect(registry?.tokenSet).toBe(true);
    expect((await getRegistryCredentials(db, secrets, registry!.id)).token).toBe("gitea-token");
    const stages = await listStages(db);
    expect(stages.map((stage) => stage.name).sort()).toEqual(["dev", "prod", "rel"]);
    const prod = stages.find((stage) => stage.name === "prod")!;
    const rel = stages.find((stage) => stage.name === "rel")!;
    expect(prod.promoteFromStageId).toBe(rel.id);
    expect(prod.policy).toEqual({ kind: "semver", range: ">=1.0.0" });
    expect(await getStageEnvForDeploy(db, secrets, prod.id)).toEqual({
      DATABASE_PASSWORD: "prod-db-password",
      LOG_LEVEL: "warn",
    });
    expect(await getSettingsSecrets(db, secrets)).toEqual({
      npmPassword: "npm-password",
      notificationSecret: null,
      webhookSecrets: { gitea: "webhook-secret" },
    });
  });

  test("importing twice changes nothing", async () => {
    const db = await freshDatabase(engine);
    const text = await readFile(EXAMPLE_FILE, "utf8");
    await importConfig(db, secrets, { text, file: "berth.yaml", env: EXAMPLE_ENV });
    const registriesBefore = await db.select().from(registries);
    const envBefore = await db.select().from(stageEnv);

    const summary = await importConfig(db, secrets, { text, file: "berth.yaml", env: EXAMPLE_ENV });

    expect(summary).toEqual({ created: 0, updated: 0, unchanged: 6 });
    expect(await db.select().from(registries)).toEqual(registriesBefore);
    expect(await db.select().from(stageEnv)).toEqual(envBefore);
  });

  test("changed value updates only its row", async () => {
    const db = await freshDatabase(engine);
    const text = await readFile(EXAMPLE_FILE, "utf8");
    await importConfig(db, secrets, { text, file: "berth.yaml", env: EXAMPLE_ENV });

    const summary = await importConfig(db, secrets, {
      text,
      file: "berth.yaml",
      env: { ...EXAMPLE_ENV, SHOP_PROD_DB_PASSWORD: "rotated" },
    });

    expect(summary).toEqual({ created: 0, updated: 1, unchanged: 5 });
    const prod = (await listStages(db)).find((stage) => stage.name === "prod")!;
    expect((await getStageEnvForDeploy(db, secrets, prod.id)).DATABASE_PASSWORD).toBe("rotated");
  });

  test("export leaves secrets out and imports back unchanged", async () => {
    const db = await freshDatabase(engine);
    const text = await readFile(EXAMPLE_FILE, "utf8");
    await importConfig(db, secrets, { text, file: "berth.yaml", env: EXAMPLE_ENV });

    const exported = await exportConfig(db);
    const summary = await importConfig(db, secrets, {
      text: exported,
      file: "exported.yaml",
      env: {
        SHOP_DEV_DATABASE_PASSWORD: "dev-db-password",
        SHOP_PROD_DATABASE_PASSWORD: "prod-db-password",
      },
    });

    for (const secret of Object.values(EXAMPLE_ENV)) {
      expect(exported).not.toContain(secret);
    }
    expect(exported).toContain("secret_env: SHOP_PROD_DATABASE_PASSWORD");
    expect(summary).toEqual({ created: 0, updated: 0, unchanged: 6 });
  });

  test.each([
    {
      name: "unknown policy kind",
      text: VALID_HEAD.replace("kind: newest", "kind: latest"),
      message:
        "projects[0].stages[0].policy.kind: expected one of semver, numeric, alphabetical, newest, digest",
    },
    {
      name: "YAML syntax error",
      text: "registries:\n  - name: [unclosed\n",
      message: "YAML syntax error at line",
    },
    {
      name: "misspelt key",
      text: VALID_HEAD.replace("repository:", "repo:"),
      message: "projects[0]: unknown key repo",
    },
    {
      name: "unknown registry type",
      text: VALID_HEAD.replace("type: oci", "type: quay"),
      message: "registries[0].type: expected one of gitea, forgejo, oci, dockerhub, ghcr",
    },
    {
      name: "unset token variable",
      text: VALID_HEAD.replace("type: oci,", "type: oci, token_env: MISSING_TOKEN,"),
      message: "registries[0].token_env: environment variable MISSING_TOKEN is not set",
    },
    {
      name: "unset secret variable",
      text: VALID_HEAD.replace(
        "policy: { kind: newest }",
        "policy: { kind: newest }, env: { PASSWORD: { secret_env: MISSING_SECRET } }",
      ),
      message: "projects[0].stages[0].env.PASSWORD.secret_env: environment variable MISSING_SECRET",
    },
    {
      name: "unknown registry name",
      text: VALID_HEAD.replace("registry: local", "registry: elsewhere"),
      message: 'projects[0].registry: no registry named "elsewhere" in the file or the database',
    },
    {
      name: "unknown promote_from stage",
      text: VALID_HEAD.replace("kind: newest }", "kind: newest }, promote_from: qa"),
      message: 'projects[0].stages[0].promote_from: no stage named "qa" in project shop',
    },
    {
      name: "invalid extract expression",
      text: VALID_HEAD.replace("kind: newest", 'kind: numeric, extract: "^dev-("'),
      message:
        'projects[0].stages[0].policy.extract: invalid regular expression "^dev-(": Invalid regular expression',
    },
    {
      name: "extract expression with two capture groups",
      // A replacer function, because `$'` in a replacement string means the text after the match.
      text: VALID_HEAD.replace("kind: newest", () => "kind: numeric, extract: '^(dev)-(\\d+)$'"),
      message:
        'projects[0].stages[0].policy.extract: regular expression "^(dev)-(\\d+)$" has 2 capture groups: it needs exactly one',
    },
    {
      name: "host volume with no allow-list",
      text: VALID_HEAD.replace(
        "policy: { kind: newest }",
        "policy: { kind: newest }, volumes: [{ kind: shared, source: /etc, target: /data }]",
      ),
      message:
        "projects[0].stages[0].volumes[0].source: volume host path /etc is outside the allowed folders (none): add its folder to the volume allow-list in settings",
    },
    {
      name: "host volume outside the file's allow-list",
      text: `settings: { volume_allow_list: [/srv/berth] }\n${VALID_HEAD.replace(
        "policy: { kind: newest }",
        "policy: { kind: newest }, volumes: [{ kind: isolated, source: /srv/berth-other, target: /data }]",
      )}`,
      message:
        "projects[0].stages[0].volumes[0].source: volume host path /srv/berth-other is outside the allowed folders (/srv/berth)",
    },
  ])("rejects $name with nothing changed", async ({ text, message }) => {
    const db = await freshDatabase(engine);

    const error = await importConfig(db, secrets, { text, file: "bad.yaml", env: {} }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as Error).message).toContain("bad.yaml is invalid: ");
    expect((error as Error).message).toContain(message);
    expect(await listRegistries(db)).toEqual([]);
    expect(await listProjects(db)).toEqual([]);
    expect((await getSettings(db)).volumeAllowList).toEqual([]);
  });

  test("host volumes inside the stored allow-list and named volumes import", async () => {
    const db = await freshDatabase(engine);
    const allow = "settings: { volume_allow_list: [/srv/berth] }\n";
    await importConfig(db, secrets, { text: allow, file: "settings.yaml", env: {} });
    const text = VALID_HEAD.replace(
      "policy: { kind: newest }",
      "policy: { kind: newest }, volumes: [{ kind: shared, source: /srv/berth/shop, target: /data }, { kind: named, source: cache, target: /cache }]",
    );

    await importConfig(db, secrets, { text, file: "stages.yaml", env: {} });

    const [project] = await listProjects(db);
    const [stage] = await listStages(db, project?.id);
    expect(stage?.volumes.map((volume) => volume.source).sort()).toEqual([
      "/srv/berth/shop",
      "cache",
    ]);
  });

  test("tag pattern check rejects the file", async () => {
    const db = await freshDatabase(engine);
    const text = VALID_HEAD.replace(
      "policy: { kind: newest }",
      'policy: { kind: newest }, tags: { include: ["dev-*", "dev-*,"], exclude: ["*-rc,"] }',
    );
    const checked: string[] = [];
    // The store takes the check from its caller, so this one replaces the registry's check.
    const checkTagPattern = (pattern: string, option: "include" | "exclude") => {
      checked.push(`${option} ${pattern}`);
      return pattern.includes(",") ? `invalid ${option} pattern "${pattern}"` : undefined;
    };

    const error = await importConfig(db, secrets, {
      text,
      file: "tags.yaml",
      env: {},
      checkTagPattern,
    }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as ConfigFileError).problems).toEqual([
      'projects[0].stages[0].tags.include[1]: invalid include pattern "dev-*,"',
      'projects[0].stages[0].tags.exclude[0]: invalid exclude pattern "*-rc,"',
    ]);
    expect(checked).toEqual(["include dev-*", "include dev-*,", "exclude *-rc,"]);
    expect(await listRegistries(db)).toEqual([]);
    expect(await listProjects(db)).toEqual([]);
  });
});
