/**
 * The memory part of the soak report: per process the RSS and V8 heap series as medians per
 * window, the second-half trend of each, and the Markdown section that shows them.
 */
import type { HeapSample } from "./soak-heap.js";
import type { RssSamples } from "./soak-load.js";
import {
  type MemoryPoint,
  type MemoryTrend,
  secondHalfTrend,
  sparkline,
  trendSince,
  type WindowMedian,
  windowMedians,
} from "./soak-memory.js";

/** Width of one point of the recorded series, in seconds. */
export const MEMORY_WINDOW_SECONDS = 30;

/** Medians of one window, undefined where a figure had no reading in it. */
export interface SeriesPoint {
  atSeconds: number;
  rssMb: number | undefined;
  heapUsedMb: number | undefined;
}

export interface MemoryFigures {
  heapSamples: number;
  heapUsedStartMb: number | undefined;
  heapUsedEndMb: number | undefined;
  heapUsedMaxMb: number | undefined;
  rssTrend: MemoryTrend | undefined;
  heapUsedTrend: MemoryTrend | undefined;
  /** Heap used right after each major collection: close to the live heap, free of sawtooth. */
  heapAfterMajorGc: WindowMedian[];
  /** Trend of `heapAfterMajorGc` after the first tenth of the sampled time (warm-up). */
  heapAfterMajorGcTrend: MemoryTrend | undefined;
  /** Medians per `MEMORY_WINDOW_SECONDS`, from the start of the load. */
  series: SeriesPoint[];
}

/** Computes the series and trends of one process from its raw readings. */
export function memoryFigures(
  rss: RssSamples["samples"],
  heap: readonly HeapSample[],
): MemoryFigures {
  const rssPoints: MemoryPoint[] = rss.map((sample) => ({ atMs: sample.atMs, mb: sample.rssMb }));
  const timed = heap.filter((sample) => !sample.afterMajorGc);
  const heapPoints: MemoryPoint[] = timed.map((sample) => ({
    atMs: sample.atMs,
    mb: sample.heapUsedMb,
  }));
  const afterGcPoints: MemoryPoint[] = heap
    .filter((sample) => sample.afterMajorGc)
    .map((sample) => ({ atMs: sample.atMs, mb: sample.heapUsedMb }));
  const warmUpMs = (rssPoints.at(-1)?.atMs ?? 0) / 10;
  const heapUsed = heapPoints.map((point) => point.mb);
  return {
    heapSamples: timed.length,
    heapUsedStartMb: roundOrUndefined(heapUsed[0]),
    heapUsedEndMb: roundOrUndefined(heapUsed.at(-1)),
    heapUsedMaxMb: heapUsed.length > 0 ? round(Math.max(...heapUsed)) : undefined,
    rssTrend: roundTrend(secondHalfTrend(rssPoints)),
    heapUsedTrend: roundTrend(secondHalfTrend(heapPoints)),
    heapAfterMajorGc: afterGcPoints.map((point) => ({
      atSeconds: Math.round(point.atMs / 1000),
      mb: round(point.mb),
    })),
    heapAfterMajorGcTrend: roundTrend(trendSince(afterGcPoints, warmUpMs)),
    series: mergeSeries(rssPoints, heapPoints),
  };
}

function mergeSeries(rss: readonly MemoryPoint[], heap: readonly MemoryPoint[]): SeriesPoint[] {
  const windowMs = MEMORY_WINDOW_SECONDS * 1000;
  const points = new Map<number, SeriesPoint>();
  const at = (atSeconds: number) => {
    const point = points.get(atSeconds) ?? { atSeconds, rssMb: undefined, heapUsedMb: undefined };
    points.set(atSeconds, point);
    return point;
  };
  for (const window of windowMedians(rss, windowMs)) at(window.atSeconds).rssMb = round(window.mb);
  for (const window of windowMedians(heap, windowMs)) {
    at(window.atSeconds).heapUsedMb = round(window.mb);
  }
  return [...points.values()].sort((a, b) => a.atSeconds - b.atSeconds);
}

function roundTrend(trend: MemoryTrend | undefined): MemoryTrend | undefined {
  if (!trend) {
    return undefined;
  }
  return {
    fromSeconds: trend.fromSeconds,
    points: trend.points,
    slopeMbPerMinute: round(trend.slopeMbPerMinute, 3),
    projectedMbPerHour: round(trend.projectedMbPerHour),
    spanGrowthMb: round(trend.spanGrowthMb),
    noiseMb: round(trend.noiseMb),
  };
}

/** What the memory section needs of each process. */
export interface MemoryRow extends MemoryFigures {
  up: boolean;
  samples: number;
  rssStartMb: number | undefined;
  rssEndMb: number | undefined;
  rssMaxMb: number | undefined;
  /** Median RSS of the last tenth of the samples over the median of the second tenth. */
  flatness: number | undefined;
}

/** Renders the "Memory per process" section of `bench/results/soak.md`. */
export function renderMemorySection(processes: readonly MemoryRow[]): string {
  const sizeRows = processes.map(
    (p, index) =>
      `| ${index + 1} | ${p.up ? "yes" : "no"} | ${p.samples} | ${mb(p.rssStartMb)} | ${mb(p.rssEndMb)} | ${mb(p.rssMaxMb)} | ${p.flatness ?? "–"} | ${mb(p.heapUsedStartMb)} | ${mb(p.heapUsedEndMb)} | ${mb(p.heapUsedMaxMb)} |`,
  );
  const trendRows = processes.flatMap((p, index) => [
    trendRow(`${index + 1}`, "RSS", p.rssTrend),
    trendRow(`${index + 1}`, "V8 heap used", p.heapUsedTrend),
    trendRow(`${index + 1}`, "heap used after major GC", p.heapAfterMajorGcTrend),
  ]);
  return `## Memory per process

RSS is VmRSS from \`/proc/<pid>/status\`, read every 3 s. Berth's \`/metrics\` has no heap
figures, so a probe preloaded with \`NODE_OPTIONS=--import\` (e2e/src/soak-heap.ts) records
\`process.memoryUsage().heapUsed\` inside each process every 3 s. Heap used is the better leak
signal, because RSS also counts native memory and pages kept after a collection. The probe also
reads heap used right after each major (mark-compact) collection: close to the live heap, without
the sawtooth of garbage waiting to be collected. Flatness = median RSS of the last tenth of the
samples / median of the second tenth (after warm-up); 1.00 is flat.

| process | up at the end | RSS samples | RSS start | RSS end | RSS max | flatness | heap used start | heap used end | heap used max |
|---|---|---|---|---|---|---|---|---|---|
${sizeRows.join("\n")}

### Trend over the second half

A least-squares line through every reading of the second half of the sampled time, except for
heap used after major GC, which has few readings and is fitted from the end of the first tenth
(warm-up). Noise is the standard deviation of the readings around that line, mostly
garbage-collector sawtooth: growth over the span well below it cannot be told from that noise.
The per-hour figure extends the slope of a few minutes to an hour, so it is an extrapolation,
not a measurement.

| process | figure | from | readings | slope | per hour (projected) | growth over the span | noise |
|---|---|---|---|---|---|---|---|
${trendRows.join("\n")}

### Series: median per ${MEMORY_WINDOW_SECONDS} s

${renderSparklines(processes)}

${renderSeriesTable(processes)}

### Heap used after each major GC

${renderAfterGc(processes)}
`;
}

function trendRow(process: string, figure: string, trend: MemoryTrend | undefined): string {
  if (!trend) {
    return `| ${process} | ${figure} | – | – | – | – | – | – |`;
  }
  return `| ${process} | ${figure} | ${trend.fromSeconds} s | ${trend.points} | ${signed(trend.slopeMbPerMinute, 2)} MB/min | ${signed(trend.projectedMbPerHour, 0)} MB | ${signed(trend.spanGrowthMb, 1)} MB | ${trend.noiseMb.toFixed(1)} MB |`;
}

function renderSparklines(processes: readonly MemoryRow[]): string {
  const lines = processes.flatMap((p, index) => [
    sparklineLine(
      `process ${index + 1} RSS      `,
      p.series.map((point) => point.rssMb),
    ),
    sparklineLine(
      `process ${index + 1} heap used`,
      p.series.map((point) => point.heapUsedMb),
    ),
  ]);
  return `\`\`\`text\n${lines.join("\n")}\n\`\`\``;
}

function sparklineLine(label: string, values: ReadonlyArray<number | undefined>): string {
  const numbers = values.map((value) => value ?? Number.NaN);
  const finite = numbers.filter((value) => Number.isFinite(value));
  if (finite.length === 0) {
    return `${label}  no readings`;
  }
  return `${label}  ${sparkline(numbers)}  ${Math.min(...finite).toFixed(0)}–${Math.max(...finite).toFixed(0)} MB`;
}

function renderAfterGc(processes: readonly MemoryRow[]): string {
  const lines = processes.map((p, index) => {
    const readings = p.heapAfterMajorGc.map(
      (point) => `${point.mb.toFixed(0)} (${point.atSeconds} s)`,
    );
    return `process ${index + 1}: ${readings.length > 0 ? readings.join(", ") : "no major collection"}`;
  });
  return `MB, with the seconds since the load started.\n\n\`\`\`text\n${lines.join("\n")}\n\`\`\``;
}

function renderSeriesTable(processes: readonly MemoryRow[]): string {
  const times = [
    ...new Set(processes.flatMap((p) => p.series.map((point) => point.atSeconds))),
  ].sort((a, b) => a - b);
  const header = processes.map((_, index) => `P${index + 1} RSS | P${index + 1} heap used`);
  const rows = times.map((atSeconds) => {
    const cells = processes.map((p) => {
      const point = p.series.find((candidate) => candidate.atSeconds === atSeconds);
      return `${mb(point?.rssMb)} | ${mb(point?.heapUsedMb)}`;
    });
    return `| ${atSeconds} s | ${cells.join(" | ")} |`;
  });
  return [
    `| window start | ${header.join(" | ")} |`,
    `|---|${processes.map(() => "---|---|").join("")}`,
    ...rows,
  ].join("\n");
}

function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return value > 0 && Number(text) !== 0 ? `+${text}` : text;
}

function mb(value: number | undefined): string {
  return value === undefined ? "–" : `${value.toFixed(0)} MB`;
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function roundOrUndefined(value: number | undefined, digits = 1): number | undefined {
  return value === undefined ? undefined : round(value, digits);
}
