/**
 * The soak scenario at full size for 10 minutes. Two `berth serve` processes share one
 * Postgres database with 1,000 stages over 200 repositories, 10 of them deploying for real
 * through podman. A round of 200 concurrent signed webhook deliveries runs every 15 s, and
 * 50 clients follow `/api/v1/events`. Each process's RSS and V8 heap are read every 3 s.
 * Writes bench/results/soak.md and soak.json, including the memory series and its trend, and
 * exits with 1 when a correctness check fails. `SOAK_DURATION_SECONDS` shortens the run for a
 * trial.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { runSoak } from "../src/soak.js";
import { renderSoakPage, type SoakFigures, soakFigures } from "../src/soak-report.js";

const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url));
const durationSeconds = Number(process.env.SOAK_DURATION_SECONDS ?? 600);
if (!Number.isFinite(durationSeconds) || durationSeconds <= 0) {
  throw new Error(
    `SOAK_DURATION_SECONDS is "${process.env.SOAK_DURATION_SECONDS}": use a number of seconds above 0, or unset it for 600`,
  );
}

const result = await runSoak({
  stages: 1000,
  repositories: 200,
  autoDeployStages: 10,
  durationMs: durationSeconds * 1000,
  deliveriesPerRound: 200,
  tagsPerRound: 20,
  autoTagsPerRound: 1,
  roundIntervalMs: 15_000,
  sseClients: 50,
  processes: 2,
  pollIntervalSeconds: 10,
  drainTimeoutMs: 180_000,
  log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
});

const machine = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`;
const figures = soakFigures(result, machine, os.loadavg());
const page = renderSoakPage(figures);
await mkdir(RESULTS, { recursive: true });
await writeFile(`${RESULTS}soak.json`, `${JSON.stringify(figures, null, 2)}\n`);
await writeFile(`${RESULTS}soak.md`, page);
process.stdout.write(page);

const problems = failedChecks(figures);
if (problems.length > 0) {
  process.stderr.write(`soak checks failed: ${problems.join("; ")}\n`);
  process.exitCode = 1;
}

function failedChecks(f: SoakFigures): string[] {
  return [
    f.duplicates > 0 ? `${f.duplicates} duplicated candidates` : "",
    f.missing > 0 ? `${f.missing} announced candidates without a deploy` : "",
    f.unfinished > 0 ? `${f.unfinished} deploys neither finished nor pending approval` : "",
    f.processes.some((p) => !p.up) ? "a Berth process is down" : "",
    f.sse.errors.length > 0 ? `${f.sse.errors.length} SSE clients failed` : "",
    f.sse.minEventsPerClient === 0 ? "an SSE client received no event" : "",
  ].filter(Boolean);
}
