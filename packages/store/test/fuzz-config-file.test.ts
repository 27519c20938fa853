import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Json, jsonPaths, mutateJson, snapshotTables } from "@berth/testing";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { parse, stringify } from "yaml";
import {
  ConfigFileError,
  createSecrets,
  type Database,
  type DatabaseHandle,
  generateSecretKey,
  importConfig,
  parseKeyring,
} from "../src/index.js";
import * as schema from "../src/schema.js";
import { openTestDatabase, testEngines } from "../src/testing.js";

/** A fixed seed makes a failure repeatable; the run count keeps the property under a few seconds. */
const RUNS = { seed: 20261204, numRuns: 40 };

const EXAMPLE_FILE = fileURLToPath(new URL("../../../examples/berth.yaml", import.meta.url));
const ENV = {
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

/** Reads every row of every table, to compare the database before and after an import. */
const snapshot = (db: Database) => snapshotTables(db, schema);

function fileText(example: Json): fc.Arbitrary<string> {
  const examplePaths = jsonPaths(example);
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ maxLength: 5000 }),
    fc.constantFrom(-1, 0, Number.MAX_VALUE, "999999999999999999999", "", "../../etc", "$HOME"),
  );
  const broken = fc
    .array(fc.tuple(fc.nat(examplePaths.length - 1), fc.option(value)), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) =>
      edits.reduce<Json>(
        (document, [index, next]) =>
          mutateJson(document, examplePaths[index] ?? [], (next ?? undefined) as Json | undefined),
        example,
      ),
    )
    .map((document) => stringify(document));
  return fc.oneof(
    { weight: 4, arbitrary: broken },
    { weight: 1, arbitrary: fc.string({ maxLength: 400 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 50, max: 5000 })
        .map((depth) => `settings: ${"[".repeat(depth)}${"]".repeat(depth)}`),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nregistries: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
      ),
    },
  );
}

describe.each(testEngines())("config import fuzz on $engine", ({ engine }) => {
  test("imports or throws ConfigFileError", async () => {
    const handle = await openTestDatabase(engine);
    handles.push(handle);
    const text = await readFile(EXAMPLE_FILE, "utf8");
    await importConfig(handle.db, secrets, { text, file: "berth.yaml", env: ENV });
    let before = await snapshot(handle.db);
    let failures = 0;

    await fc.assert(
      fc.asyncProperty(fileText(parse(text) as Json), async (generated) => {
        const error = await importConfig(handle.db, secrets, {
          text: generated,
          file: "fuzz.yaml",
          env: ENV,
        }).then(
          () => undefined,
          (caught: unknown) => caught,
        );

        if (error === undefined) {
          // A valid file may change rows: compare the next failure with the new state.
          before = await snapshot(handle.db);
          return;
        }
        failures += 1;
        expect(error).toBeInstanceOf(ConfigFileError);
        expect((error as ConfigFileError).message).toContain("fuzz.yaml");
        expect(await snapshot(handle.db)).toEqual(before);
      }),
      RUNS,
    );

    expect(failures).toBeGreaterThan(RUNS.numRuns / 2);
    // The checks behind the app's /health: the database responds and no migration is pending.
    const status = await handle.status();
    expect(status.reachable).toBe(true);
    expect(status.migration?.pending).toBe(0);
  }, 60_000);
});
