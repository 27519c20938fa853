import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { snapshotTables } from "@berth/testing";
import { afterAll, describe, expect, test } from "vitest";
import {
  ConfigFileError,
  createSecrets,
  type Database,
  type DatabaseHandle,
  generateSecretKey,
  getSettings,
  importConfig,
  parseKeyring,
  pollCronProblem,
  subdomainPatternProblem,
} from "../src/index.js";
import * as schema from "../src/schema.js";
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
const NOW = new Date("2026-12-05T00:00:00Z");

const handles: DatabaseHandle[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
});

const snapshot = (db: Database) => snapshotTables(db, schema);

/** A file with one stage, whose `stage` line is replaced to test stage keys. */
function stageFile(stage: string): string {
  return `
registries:
  - { name: local, type: oci, url: "http://127.0.0.1:5000" }
projects:
  - slug: shop
    registry: local
    repository: acme/shop
    stages:
      - ${stage}
`;
}

describe("poll cron check", () => {
  test.each([
    { expression: "*/5 * * * *" },
    { expression: " 0 3 * * * " },
    { expression: "@hourly" },
    { expression: "*/10 * * * * *" },
  ])("accepts $expression", ({ expression }) => {
    expect(pollCronProblem(expression, NOW)).toBeUndefined();
  });

  test.each([
    { expression: "61 * * * *", problem: 'invalid cron expression "61 * * * *"' },
    { expression: "61 * * * *", problem: "Invalid value for minute: 61" },
    { expression: "every hour", problem: 'invalid cron expression "every hour"' },
    { expression: "   ", problem: "empty cron expression: use null" },
    { expression: "0 0 30 2 *", problem: "matches no future time" },
    { expression: "0 0 1 1 * * 2020", problem: "matches no future time" },
    { expression: "*/5 * * * * *", problem: "polls 5 s apart, below the minimum of 10 s" },
    { expression: "0,3 * * * * *", problem: "polls 3 s apart" },
  ])("rejects $expression: $problem", ({ expression, problem }) => {
    expect(pollCronProblem(expression, NOW)).toContain(problem);
  });

  test("message gives an example", () => {
    expect(pollCronProblem("61 * * * *", NOW)).toContain('e.g. "*/5 * * * *" (every 5 minutes)');
  });
});

describe("subdomain pattern check", () => {
  test.each([
    { pattern: "{stage}-{project}", kind: "stage" },
    { pattern: "app", kind: "stage" },
    { pattern: "stage-{stage}-{project}-{tag}", kind: "tag" },
    { pattern: "{tag}.{tag}", kind: "tag" },
  ] as const)("accepts $kind pattern $pattern", ({ pattern, kind }) => {
    expect(subdomainPatternProblem(pattern, kind)).toBeUndefined();
  });

  test.each([
    {
      pattern: "{nope}",
      kind: "stage",
      problem:
        'unsupported placeholder {nope} in "{nope}": a stage subdomain pattern accepts {stage}, {project}',
    },
    {
      pattern: "{tag}-{stage}",
      kind: "stage",
      problem:
        'unsupported placeholder {tag} in "{tag}-{stage}": a stage subdomain pattern accepts {stage}, {project}',
    },
    {
      pattern: "{Stage}-{sha}-{sha}",
      kind: "tag",
      problem:
        'unsupported placeholders {Stage}, {sha} in "{Stage}-{sha}-{sha}": a tag subdomain pattern accepts {stage}, {project}, {tag}',
    },
    {
      pattern: "{stage-{project}",
      kind: "stage",
      problem: 'unmatched brace in "{stage-{project}": write placeholders as {stage}, {project}',
    },
    {
      pattern: "{stage}}",
      kind: "tag",
      problem: 'unmatched brace in "{stage}}": write placeholders as {stage}, {project}, {tag}',
    },
  ] as const)("rejects $kind pattern $pattern", ({ pattern, kind, problem }) => {
    expect(subdomainPatternProblem(pattern, kind)).toBe(problem);
  });
});

describe.each(testEngines())("config file validation on $engine", ({ engine }) => {
  let database: Database | undefined;

  /**
   * Returns one database per engine holding the example file. Rejected imports leave it as it
   * is, which each test checks, so the tests can share it.
   */
  async function exampleDatabase(): Promise<Database> {
    if (!database) {
      const handle = await openTestDatabase(engine);
      handles.push(handle);
      const text = await readFile(EXAMPLE_FILE, "utf8");
      await importConfig(handle.db, secrets, { text, file: "berth.yaml", env: EXAMPLE_ENV });
      database = handle.db;
    }
    return database;
  }

  /** Imports `text` into a database holding the example file and returns the error thrown. */
  async function rejectedImport(db: Database, text: string): Promise<ConfigFileError> {
    const error = await importConfig(db, secrets, { text, file: "bad.yaml", env: {} }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigFileError);
    return error as ConfigFileError;
  }

  test.each([
    {
      name: "invalid poll cron",
      text: 'settings:\n  poll_cron: "61 * * * *"\n',
      problem:
        'settings.poll_cron: invalid cron expression "61 * * * *": Invalid value for minute: 61',
    },
    {
      name: "poll cron under the minimum gap",
      text: 'settings:\n  poll_cron: "* * * * * *"\n',
      problem: 'settings.poll_cron: cron expression "* * * * * *" polls 1 s apart',
    },
    {
      name: "unknown stage pattern placeholder",
      text: 'settings:\n  stage_subdomain_pattern: "{nope}"\n',
      problem:
        'settings.stage_subdomain_pattern: unsupported placeholder {nope} in "{nope}": a stage subdomain pattern accepts {stage}, {project}',
    },
    {
      name: "unknown tag pattern placeholder",
      text: 'settings:\n  tag_subdomain_pattern: "{tag}-{sha}"\n',
      problem:
        'settings.tag_subdomain_pattern: unsupported placeholder {sha} in "{tag}-{sha}": a tag subdomain pattern accepts {stage}, {project}, {tag}',
    },
    {
      name: "tag placeholder in stage subdomain",
      text: stageFile('{ name: dev, policy: { kind: newest }, subdomain: "{tag}" }'),
      problem:
        'projects[0].stages[0].subdomain: unsupported placeholder {tag} in "{tag}": a stage subdomain pattern accepts {stage}, {project}',
    },
    {
      name: "unknown policy kind",
      text: stageFile("{ name: dev, policy: { kind: latest } }"),
      problem:
        'projects[0].stages[0].policy.kind: expected one of semver, numeric, alphabetical, newest, digest, got "latest"',
    },
    {
      name: "missing policy kind",
      text: stageFile("{ name: dev, policy: { range: '>=1.0.0' } }"),
      problem:
        "projects[0].stages[0].policy.kind: required, but missing: expected one of semver, numeric, alphabetical, newest, digest",
    },
    {
      name: "missing registry URL",
      text: "registries:\n  - { name: local, type: oci }\n",
      problem: "registries[0].url: required, but missing: expected string",
    },
  ])("$name is rejected and nothing changes", async ({ text, problem }) => {
    const db = await exampleDatabase();
    const before = await snapshot(db);

    const error = await rejectedImport(db, text);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(problem);
    expect(await snapshot(db)).toEqual(before);
  });

  test.each([
    { name: "empty file", text: "" },
    { name: "blank lines", text: "\n\n  \n" },
    { name: "only comments", text: "# settings come later\n# registries: []\n" },
    { name: "null document", text: "~\n" },
  ])("$name is rejected and nothing changes", async ({ text }) => {
    const db = await exampleDatabase();
    const before = await snapshot(db);

    const error = await rejectedImport(db, text);

    expect(error.message).toBe(
      "bad.yaml is invalid: the file is empty or contains only comments: add settings, registries or projects, e.g. from `berth export`",
    );
    expect(await snapshot(db)).toEqual(before);
  });

  test("valid cron and patterns import", async () => {
    const handle = await openTestDatabase(engine);
    handles.push(handle);
    const db = handle.db;
    const text = `settings:
  poll_cron: "*/5 * * * *"
  stage_subdomain_pattern: "{project}-{stage}"
  tag_subdomain_pattern: "{tag}-{stage}-{project}"
`;

    const summary = await importConfig(db, secrets, { text, file: "settings.yaml", env: {} });

    // The settings row always exists, so the import updates it.
    expect(summary).toEqual({ created: 0, updated: 1, unchanged: 0 });
    const settings = await getSettings(db);
    expect(settings.pollCron).toBe("*/5 * * * *");
    expect(settings.stageSubdomainPattern).toBe("{project}-{stage}");
    expect(settings.tagSubdomainPattern).toBe("{tag}-{stage}-{project}");
  });
});
