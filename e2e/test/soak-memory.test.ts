import { describe, expect, it } from "vitest";
import { parseHeapLines } from "../src/soak-heap.js";
import {
  fitLine,
  secondHalfTrend,
  sparkline,
  trendSince,
  windowMedians,
} from "../src/soak-memory.js";
import { memoryFigures, renderMemorySection } from "../src/soak-memory-report.js";

/** Readings every 3 s for `minutes`, each `mbAt(atMs)`. */
function readings(minutes: number, mbAt: (atMs: number) => number) {
  return Array.from({ length: (minutes * 60) / 3 }, (_, index) => {
    const atMs = index * 3000;
    return { atMs, mb: mbAt(atMs) };
  });
}

describe("windowMedians", () => {
  it("takes the median of each window in time order", () => {
    const points = [
      { atMs: 31_000, mb: 7 },
      { atMs: 0, mb: 1 },
      { atMs: 10_000, mb: 5 },
      { atMs: 20_000, mb: 3 },
      { atMs: 30_000, mb: 9 },
    ];

    expect(windowMedians(points, 30_000)).toEqual([
      { atSeconds: 0, mb: 3 },
      { atSeconds: 30, mb: 8 },
    ]);
  });

  it("leaves out windows without readings", () => {
    const points = [
      { atMs: 0, mb: 1 },
      { atMs: 95_000, mb: 2 },
    ];

    expect(windowMedians(points, 30_000).map((w) => w.atSeconds)).toEqual([0, 90]);
  });

  it("rejects a window of 0 ms", () => {
    expect(() => windowMedians([], 0)).toThrow("soak memory window is 0 ms");
  });
});

describe("fitLine", () => {
  it("recovers slope and intercept of exact points", () => {
    const fit = fitLine([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 5 })));

    expect(fit?.slope).toBeCloseTo(2, 10);
    expect(fit?.intercept).toBeCloseTo(5, 10);
    expect(fit?.residualStandardDeviation).toBeCloseTo(0, 10);
  });

  it("measures scatter around the line", () => {
    // Symmetric about x = 1.5, so the line is y = 0 and the residuals are ±1: 4 / (n - 2).
    const fit = fitLine([1, -1, -1, 1].map((y, x) => ({ x, y })));

    expect(fit?.slope).toBeCloseTo(0, 10);
    expect(fit?.residualStandardDeviation).toBeCloseTo(Math.sqrt(2), 10);
  });

  it("needs three points with two x values", () => {
    expect(
      fitLine([
        { x: 0, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeUndefined();
    expect(fitLine([1, 2, 3].map((y) => ({ x: 4, y })))).toBeUndefined();
  });
});

describe("secondHalfTrend", () => {
  it("reports steady growth in MB per minute and per hour", () => {
    const trend = secondHalfTrend(readings(10, (atMs) => 100 + (atMs / 60_000) * 0.5));

    expect(trend?.fromSeconds).toBe(299);
    expect(trend?.points).toBe(100);
    expect(trend?.slopeMbPerMinute).toBeCloseTo(0.5, 10);
    expect(trend?.projectedMbPerHour).toBeCloseTo(30, 8);
    expect(trend?.spanGrowthMb).toBeCloseTo((0.5 * (597 - 300)) / 60, 8);
    expect(trend?.noiseMb).toBeCloseTo(0, 8);
  });

  it("keeps garbage-collector sawtooth below its noise", () => {
    // A 30 s sawtooth from 100 to 145 MB, ten whole periods in the fitted five minutes. The
    // rising ramps still tilt the line: its growth over the span is about amplitude / periods.
    const trend = secondHalfTrend(readings(10, (atMs) => 100 + ((atMs / 3000) % 10) * 5));
    const noise = trend?.noiseMb ?? Number.NaN;

    expect(noise).toBeGreaterThan(10);
    expect(Math.abs(trend?.spanGrowthMb ?? Number.NaN)).toBeLessThan(noise / 2);
  });

  it("ignores growth in the first half", () => {
    const trend = secondHalfTrend(readings(10, (atMs) => (atMs < 240_000 ? atMs / 1000 : 240)));

    expect(trend?.slopeMbPerMinute).toBeCloseTo(0, 10);
  });

  it("needs three readings in the second half", () => {
    expect(secondHalfTrend([])).toBeUndefined();
    expect(secondHalfTrend(readings(0.1, () => 1))).toBeUndefined();
  });
});

describe("trendSince", () => {
  it("fits only readings from the given time", () => {
    const points = [0, 1, 2, 3, 4].map((minute) => ({
      atMs: minute * 60_000,
      mb: minute < 2 ? 500 : 50 + minute,
    }));
    const trend = trendSince(points, 120_000);

    expect(trend?.points).toBe(3);
    expect(trend?.slopeMbPerMinute).toBeCloseTo(1, 10);
    expect(trend?.spanGrowthMb).toBeCloseTo(2, 10);
  });
});

describe("sparkline", () => {
  it("draws lowest to highest from ▁ to █", () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe("▁▂▃▄▅▆▇█");
  });

  it("draws a flat series mid-height and gaps as spaces", () => {
    expect(sparkline([5, Number.NaN, 5])).toBe("▄ ▄");
  });
});

describe("parseHeapLines", () => {
  it("times readings from the load start and converts to MB", () => {
    const line = JSON.stringify({
      at: 1_000_500,
      heapUsed: 3 * 1024 * 1024,
      heapTotal: 4 * 1024 * 1024,
      external: 1024 * 1024,
    });

    expect(parseHeapLines(`${line}\n`, 1_000_000)).toEqual([
      { atMs: 500, afterMajorGc: false, heapUsedMb: 3, heapTotalMb: 4, externalMb: 1 },
    ]);
  });

  it("marks readings taken after a major collection", () => {
    const line = JSON.stringify({
      at: 0,
      heapUsed: 0,
      heapTotal: 0,
      external: 0,
      afterMajorGc: true,
    });

    expect(parseHeapLines(line, 0)[0]?.afterMajorGc).toBe(true);
  });

  it("skips cut-off and foreign lines", () => {
    const text = ['{"at":1,"heapUsed":2', "null", '{"at":1}', "", "not json"].join("\n");

    expect(parseHeapLines(text, 0)).toEqual([]);
  });
});

describe("memoryFigures", () => {
  const rss = readings(10, (atMs) => 150 + atMs / 60_000).map((p) => ({
    atMs: p.atMs,
    rssMb: p.mb,
  }));
  const timed = readings(10, () => 40).map((p) => ({
    atMs: p.atMs + 1000,
    afterMajorGc: false,
    heapUsedMb: p.mb,
    heapTotalMb: 60,
    externalMb: 2,
  }));
  // A major collection every 100 s; the one at 50 s falls in warm-up and is left out of the fit.
  const afterGc = [50, 150, 250, 350, 450, 550].map((seconds) => ({
    atMs: seconds * 1000,
    afterMajorGc: true,
    heapUsedMb: seconds === 50 ? 10 : 20 + seconds / 100,
    heapTotalMb: 60,
    externalMb: 2,
  }));
  const figures = memoryFigures(rss, [...timed, ...afterGc]);

  it("records one median per 30 s for both figures", () => {
    expect(figures.series).toHaveLength(20);
    expect(figures.series[0]).toEqual({ atSeconds: 0, rssMb: 150.2, heapUsedMb: 40 });
    expect(figures.series.at(-1)?.atSeconds).toBe(570);
  });

  it("fits a trend to each figure", () => {
    expect(figures.rssTrend?.slopeMbPerMinute).toBe(1);
    expect(figures.rssTrend?.projectedMbPerHour).toBe(60);
    expect(figures.heapUsedTrend?.slopeMbPerMinute).toBe(0);
    expect(figures.heapSamples).toBe(200);
    expect(figures.heapUsedMaxMb).toBe(40);
  });

  it("keeps readings after major GC apart", () => {
    expect(figures.heapAfterMajorGc).toHaveLength(6);
    expect(figures.heapAfterMajorGc[0]).toEqual({ atSeconds: 50, mb: 10 });
    expect(figures.heapAfterMajorGcTrend?.fromSeconds).toBe(60);
    expect(figures.heapAfterMajorGcTrend?.points).toBe(5);
    expect(figures.heapAfterMajorGcTrend?.slopeMbPerMinute).toBe(0.6);
    expect(figures.heapAfterMajorGcTrend?.projectedMbPerHour).toBe(36);
  });

  it("leaves heap figures empty without probe readings", () => {
    const withoutHeap = memoryFigures(rss, []);

    expect(withoutHeap.heapUsedTrend).toBeUndefined();
    expect(withoutHeap.heapUsedMaxMb).toBeUndefined();
    expect(withoutHeap.series[0]?.heapUsedMb).toBeUndefined();
  });
});

describe("renderMemorySection", () => {
  it("shows trend, sparkline and series rows", () => {
    const rss = readings(2, (atMs) => 100 + atMs / 60_000).map((p) => ({
      atMs: p.atMs,
      rssMb: p.mb,
    }));
    const page = renderMemorySection([
      {
        up: true,
        samples: rss.length,
        rssStartMb: 100,
        rssEndMb: 102,
        rssMaxMb: 102,
        flatness: 1.01,
        ...memoryFigures(rss, []),
      },
    ]);

    expect(page).toContain("| 1 | RSS | 59 s | 20 | +1.00 MB/min | +60 MB | +1.0 MB | 0.0 MB |");
    expect(page).toContain("| 1 | V8 heap used | – |");
    expect(page).toContain("| 1 | heap used after major GC | – |");
    expect(page).toContain("process 1: no major collection");
    expect(page).toContain("process 1 RSS        ▁▃▆█  100–102 MB");
    expect(page).toContain("process 1 heap used  no readings");
    expect(page).toContain("| 90 s | 102 MB | – |");
  });
});
