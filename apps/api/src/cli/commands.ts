import { readFile, writeFile } from "node:fs/promises";
import { exportConfig, importConfig } from "@berth/store";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { openStore } from "../open-store.js";
import { tagPatternProblem } from "../resources/stage-checks.js";
import type { CliOptions, CliOutput } from "./main.js";

/** `berth migrate`: applies pending migrations and checks the secret key. */
export async function runMigrate(config: Config, logger: Logger): Promise<void> {
  const store = await openStore(config, logger);
  await store.close();
}

/** `berth import FILE`: imports a YAML configuration in one transaction. */
export async function runImport(
  args: string[],
  config: Config,
  logger: Logger,
  options: Pick<CliOptions, "env" | "output">,
): Promise<number> {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) {
    options.output.stderr("berth import: expected one file, e.g. berth import berth.yaml\n");
    return 2;
  }
  const text = await readText(file);

  const store = await openStore(config, logger);
  try {
    const summary = await importConfig(store.database.db, store.secrets, {
      text,
      file,
      env: options.env,
      checkTagPattern: tagPatternProblem,
    });
    options.output.stdout(
      `imported ${file}: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/** `berth export [-o FILE]`: writes the configuration without secrets. */
export async function runExport(
  file: string | undefined,
  config: Config,
  logger: Logger,
  output: CliOutput,
): Promise<number> {
  const store = await openStore(config, logger);
  try {
    const yaml = await exportConfig(store.database.db);
    if (file) {
      await writeFile(file, yaml);
    } else {
      output.stdout(yaml);
    }
    return 0;
  } finally {
    await store.close();
  }
}

const READ_FAILURES: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "it is a folder",
  EACCES: "permission denied",
};

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = READ_FAILURES[code ?? ""] ?? code ?? "unknown error";
    throw new Error(`cannot read ${file}: ${reason}`, { cause: error });
  }
}
