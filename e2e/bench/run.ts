/**
 * Runs every `*.bench.ts` in this folder, one after another, each in its own Node process so
 * one scenario's servers and handles never leak into the next. `BENCH=name` runs only the
 * files whose name contains it, for example `BENCH=soak pnpm --filter @berth/e2e bench`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const folder = fileURLToPath(new URL(".", import.meta.url));
const only = process.env.BENCH ?? "";
const files = readdirSync(folder)
  .filter((name) => name.endsWith(".bench.ts") && name.includes(only))
  .sort();

if (files.length === 0) {
  process.stderr.write(
    `No bench file in ${folder} matches BENCH="${only}"; unset BENCH to run all.\n`,
  );
  process.exit(1);
}

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n==> ${file}\n`);
  const run = spawnSync(
    process.execPath,
    ["--conditions=@berth/source", "--import", "tsx", `${folder}${file}`],
    { stdio: "inherit" },
  );
  if (run.status !== 0) {
    process.stderr.write(`${file} failed with exit code ${run.status ?? run.signal}\n`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
