/** Writes bench/results/latest.md from every bench/results/*.json. Run after `turbo run bench`. */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderSummary, type SummaryRow, summarize } from "../src/bench-summary.js";

const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url));

const files = (await readdir(RESULTS)).filter((name) => name.endsWith(".json")).sort();
const rows: SummaryRow[] = [];
for (const file of files) {
  const source = path.basename(file, ".json");
  const text = await readFile(path.join(RESULTS, file), "utf8");
  const markdown = await readFile(path.join(RESULTS, `${source}.md`), "utf8").catch(
    () => undefined,
  );
  rows.push(...summarize(source, text, markdown));
}
const page = renderSummary(rows, new Date());
await writeFile(path.join(RESULTS, "latest.md"), page);
process.stdout.write(page);
