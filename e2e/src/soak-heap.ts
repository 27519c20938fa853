/**
 * V8 heap readings from inside each `berth serve` process. Berth's `/metrics` has no heap
 * figures, so the soak preloads a small probe through `NODE_OPTIONS=--import`. Every few
 * seconds, and after each major (mark-compact) collection, the probe appends
 * `process.memoryUsage()` as a JSON line to `<dir>/heap-<pid>.jsonl`. Heap used is a better leak signal than RSS, because RSS also
 * counts native memory and pages that V8 and malloc keep after a collection.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The probe's environment variable for the folder it writes to. */
const DIR_VARIABLE = "SOAK_HEAP_PROBE_DIR";

/** Milliseconds between probe readings, the same as the RSS sampler's. */
export const HEAP_PROBE_INTERVAL_MS = 3000;

// Plain JavaScript, because `berth serve` runs the built bin.js without a TypeScript loader.
// The timer is unref'd so the probe never keeps a stopping process alive. Node delivers `gc`
// performance entries after the collection, so a reading marked `afterMajorGc` may include a
// little memory allocated between the collection's end and the observer's callback.
const PROBE_SOURCE = `import { appendFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";
const dir = process.env.${DIR_VARIABLE};
if (dir) {
  const file = \`\${dir}/heap-\${process.pid}.jsonl\`;
  const write = (afterMajorGc) => {
    const usage = process.memoryUsage();
    const line = { at: Date.now(), heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, afterMajorGc };
    appendFileSync(file, JSON.stringify(line) + "\\n");
  };
  setInterval(() => write(false), ${HEAP_PROBE_INTERVAL_MS}).unref();
  new PerformanceObserver((list) => {
    const major = list.getEntries().some((entry) => entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) write(true);
  }).observe({ entryTypes: ["gc"] });
}
`;

/** One probe reading in MB, with the ms since the load started. */
export interface HeapSample {
  atMs: number;
  /** Whether a major collection triggered the reading, rather than the timer. */
  afterMajorGc: boolean;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

export interface HeapProbe {
  /** Environment for `berth serve` that loads the probe. */
  env: Record<string, string>;
  /** Loads the probe readings of process `pid`, timed from `startedAtEpochMs`. */
  read(pid: number, startedAtEpochMs: number): Promise<HeapSample[]>;
  /** Deletes the probe's folder. */
  remove(): Promise<void>;
}

/** Writes the probe into a new temporary folder, where its readings go too. */
export async function createHeapProbe(): Promise<HeapProbe> {
  const dir = await mkdtemp(path.join(tmpdir(), "berth-soak-heap-"));
  const script = path.join(dir, "probe.mjs");
  await writeFile(script, PROBE_SOURCE);
  return {
    env: { NODE_OPTIONS: `--import=${pathToFileURL(script).href}`, [DIR_VARIABLE]: dir },
    read: async (pid, startedAtEpochMs) => {
      const text = await readFile(path.join(dir, `heap-${pid}.jsonl`), "utf8").catch(() => "");
      return parseHeapLines(text, startedAtEpochMs);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

const MB = 1024 * 1024;

/**
 * Parses the probe's JSON lines into samples timed from `startedAtEpochMs`. Skips lines that
 * are not complete readings, such as a line cut off when the process was killed.
 */
export function parseHeapLines(text: string, startedAtEpochMs: number): HeapSample[] {
  const samples: HeapSample[] = [];
  for (const line of text.split("\n")) {
    const reading = parseReading(line);
    if (reading) {
      samples.push({
        atMs: reading.at - startedAtEpochMs,
        afterMajorGc: reading.afterMajorGc,
        heapUsedMb: reading.heapUsed / MB,
        heapTotalMb: reading.heapTotal / MB,
        externalMb: reading.external / MB,
      });
    }
  }
  return samples;
}

interface Reading {
  at: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  afterMajorGc: boolean;
}

function parseReading(line: string): Reading | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) {
    return undefined;
  }
  const fields = value as Record<string, unknown>;
  const { at, heapUsed, heapTotal, external, afterMajorGc } = fields;
  if (
    typeof at !== "number" ||
    typeof heapUsed !== "number" ||
    typeof heapTotal !== "number" ||
    typeof external !== "number"
  ) {
    return undefined;
  }
  return { at, heapUsed, heapTotal, external, afterMajorGc: afterMajorGc === true };
}
