/**
 * Memory figures of the soak: a series of medians per time window, a least-squares trend
 * that separates steady growth from garbage-collector noise, and a text sparkline. Pure, so the
 * unit tests check the same math the bench records.
 */
import { median } from "./soak-layout.js";

/** One reading of a memory figure, in MB, with the ms since the load started. */
export interface MemoryPoint {
  atMs: number;
  mb: number;
}

/** The median of the readings in one time window. */
export interface WindowMedian {
  /** Start of the window, in seconds since the load started. */
  atSeconds: number;
  mb: number;
}

/**
 * Groups `points` into consecutive windows of `windowMs` from time 0 and returns the median
 * of each window that has readings, in time order. Empty windows are left out.
 */
export function windowMedians(points: readonly MemoryPoint[], windowMs: number): WindowMedian[] {
  if (!(windowMs > 0)) {
    throw new Error(`soak memory window is ${windowMs} ms: use a number of ms above 0`);
  }
  const windows = new Map<number, number[]>();
  for (const point of points) {
    const index = Math.floor(point.atMs / windowMs);
    const values = windows.get(index) ?? [];
    values.push(point.mb);
    windows.set(index, values);
  }
  return [...windows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, values]) => ({
      atSeconds: (index * windowMs) / 1000,
      mb: median(values) ?? Number.NaN,
    }));
}

/** A straight line fitted by ordinary least squares. */
export interface LineFit {
  slope: number;
  intercept: number;
  /** Standard deviation of the residuals around the line, with n - 2 degrees of freedom. */
  residualStandardDeviation: number;
}

/** Fits y = slope × x + intercept. Undefined with fewer than 3 points or a single x value. */
export function fitLine(points: ReadonlyArray<{ x: number; y: number }>): LineFit | undefined {
  const n = points.length;
  if (n < 3) {
    return undefined;
  }
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - meanX) ** 2;
    sxy += (p.x - meanX) * (p.y - meanY);
  }
  if (sxx === 0) {
    return undefined;
  }
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  const squaredResiduals = points.reduce(
    (sum, p) => sum + (p.y - (slope * p.x + intercept)) ** 2,
    0,
  );
  return { slope, intercept, residualStandardDeviation: Math.sqrt(squaredResiduals / (n - 2)) };
}

/** How one memory figure moved over the second half of the sampled time. */
export interface MemoryTrend {
  /** Start of the fitted span, in seconds since the load started. */
  fromSeconds: number;
  /** Readings in the fitted span. */
  points: number;
  /** Least-squares slope, in MB per minute. */
  slopeMbPerMinute: number;
  /** The slope extended to one hour, in MB: an extrapolation, not a measurement. */
  projectedMbPerHour: number;
  /** Growth the line predicts over the fitted span, in MB. */
  spanGrowthMb: number;
  /**
   * Scatter of the readings around the line, in MB: mostly garbage-collector sawtooth. Growth
   * over the span well below this is indistinguishable from that noise.
   */
  noiseMb: number;
}

/**
 * Fits a line to the readings of the second half of the sampled time, after warm-up and the
 * first rounds have settled. Undefined with fewer than 3 readings there.
 */
export function secondHalfTrend(points: readonly MemoryPoint[]): MemoryTrend | undefined {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) {
    return undefined;
  }
  return trendSince(points, (first.atMs + last.atMs) / 2);
}

/** Fits a line to the readings at `fromMs` or later. Undefined with fewer than 3 of them. */
export function trendSince(
  points: readonly MemoryPoint[],
  fromMs: number,
): MemoryTrend | undefined {
  const span = points.filter((point) => point.atMs >= fromMs);
  const fit = fitLine(span.map((point) => ({ x: point.atMs / 60_000, y: point.mb })));
  const first = span[0];
  const last = span.at(-1);
  if (!fit || !first || !last) {
    return undefined;
  }
  const spanMinutes = (last.atMs - first.atMs) / 60_000;
  return {
    fromSeconds: Math.round(fromMs / 1000),
    points: span.length,
    slopeMbPerMinute: fit.slope,
    projectedMbPerHour: fit.slope * 60,
    spanGrowthMb: fit.slope * spanMinutes,
    noiseMb: fit.residualStandardDeviation,
  };
}

const SPARK_LEVELS = "▁▂▃▄▅▆▇█";

/**
 * Draws `values` as one block character each, the lowest value as ▁ and the highest as █.
 * A series without spread draws as ▄. NaN draws as a space.
 */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter((value) => Number.isFinite(value));
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  const top = SPARK_LEVELS.length - 1;
  return values
    .map((value) => {
      if (!Number.isFinite(value)) return " ";
      if (high === low) return SPARK_LEVELS[Math.floor(top / 2)];
      return SPARK_LEVELS[Math.round(((value - low) / (high - low)) * top)];
    })
    .join("");
}
