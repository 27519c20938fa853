import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runBerth } from "./cli-helpers.js";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), "berth-cli-import-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

// Each import starts a process that opens PGlite, which takes 5 to 15 s on a busy 2-core
// machine. The database content after a rejected import is checked in the store's tests.
describe("berth import rejects", { timeout: 120_000 }, () => {
  const dataDir = () => path.join(folder, "data");

  test.each([
    {
      name: "empty file",
      text: "# nothing here yet\n",
      message: "the file is empty or contains only comments",
    },
    {
      name: "invalid poll cron",
      text: 'settings:\n  poll_cron: "61 * * * *"\n',
      message: 'settings.poll_cron: invalid cron expression "61 * * * *"',
    },
  ])("$name with exit code 1", async ({ name, text, message }) => {
    const file = path.join(folder, `${name.replaceAll(" ", "-")}.yaml`);
    await writeFile(file, text);

    const result = await runBerth(["import", file], { BERTH_DATA_DIR: dataDir() });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain("created");
  });
});
