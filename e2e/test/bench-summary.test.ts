import { describe, expect, it } from "vitest";
import { renderSummary, summarize } from "../src/bench-summary.js";

const REGISTRY = JSON.stringify({
  machine: "AMD EPYC, 2 cores, Node v20.20.2",
  berth: { wallMs: 1000 },
  skopeo: { wallMs: 10000 },
});

describe("summarize", () => {
  it("picks a known file's figure and baseline", () => {
    const [row] = summarize("registry", REGISTRY, undefined);

    expect(row).toMatchObject({ value: 1000, baselineValue: 10000, unit: "ms" });
    expect(row?.machine).toBe("AMD EPYC, 2 cores, Node v20.20.2");
  });

  it("takes the machine from the Markdown page when the JSON has none", () => {
    const json = JSON.stringify({ berth: { wallMs: 1 }, skopeo: { wallMs: 2 } });
    const [row] = summarize(
      "registry",
      json,
      "# R\n\nMachine: Xeon, 4 cores, Node v22. Engine: x\n",
    );

    expect(row?.machine).toBe("Xeon, 4 cores, Node v22");
  });

  it("gives an unknown file a row that points at its page", () => {
    const [row] = summarize("newcomer", "{}", undefined);

    expect(row?.figure).toBe("no reader for this file: see newcomer.md");
  });

  it("turns unreadable JSON into a row naming the problem", () => {
    const [row] = summarize("registry", "{ not json", undefined);

    expect(row?.figure).toMatch(/^unreadable JSON \(.+\): rerun this package's bench$/);
  });
});

describe("renderSummary", () => {
  it("writes the ratio of figure to baseline", () => {
    const page = renderSummary(summarize("registry", REGISTRY, undefined), new Date(0));

    expect(page).toContain("| 1000 ms | skopeo | 10000 ms | 0.10 |");
  });

  it("writes a dash where a figure is missing", () => {
    const page = renderSummary(summarize("registry", "{}", undefined), new Date(0));

    expect(page).toContain("| – | skopeo | – | – |");
  });
});
