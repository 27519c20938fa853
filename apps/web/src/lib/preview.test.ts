import { describe, expect, test } from "vitest";
import { buildPolicy, previewSelection } from "./preview.js";

const tags = ["1.0.0", "1.2.0", "1.3.0-rc.1", "latest", "dev-abc"].map((name) => ({ name }));

describe("previewSelection", () => {
  test("picks the highest release and marks the rest", () => {
    const preview = previewSelection({
      tags,
      include: [],
      exclude: [],
      policy: { kind: "semver" },
    });
    if (!preview.ok) throw new Error(preview.message);
    expect(preview.selected).toBe("1.2.0");
    expect(preview.reason).toContain("1.2.0");
    expect(preview.rows[0]).toEqual({ name: "1.2.0", verdict: "picked" });
    expect(preview.rows.find((row) => row.name === "1.0.0")?.verdict).toBe("candidate");
    expect(preview.rows.find((row) => row.name === "latest")?.verdict).toBe("filtered");
  });

  test("follows include patterns", () => {
    const preview = previewSelection({
      tags,
      include: ["dev-*"],
      exclude: [],
      policy: { kind: "alphabetical" },
    });
    expect(preview.ok).toBe(true);
    expect(preview.ok ? preview.selected : undefined).toBe("dev-abc");
  });

  test("never moves below the current tag", () => {
    const preview = previewSelection({
      tags,
      include: [],
      exclude: [],
      policy: { kind: "semver" },
      current: "1.2.0",
    });
    if (!preview.ok) throw new Error(preview.message);
    expect(preview.selected).toBeNull();
    expect(preview.reason).toContain("1.2.0 is already");
  });

  test("reports an invalid range for its field", () => {
    const preview = previewSelection({
      tags,
      include: [],
      exclude: [],
      policy: { kind: "semver", range: "^^1" },
    });
    expect(preview).toMatchObject({ ok: false, option: "policy.range" });
  });

  test("explains an empty tag list", () => {
    const preview = previewSelection({
      tags: [],
      include: [],
      exclude: [],
      policy: { kind: "newest" },
    });
    expect(preview).toMatchObject({
      ok: true,
      selected: null,
      reason: "the registry returned no tags",
    });
  });
});

describe("buildPolicy", () => {
  test("leaves out empty options", () => {
    expect(
      buildPolicy({ kind: "semver", range: " ", allowPrerelease: false, extract: "x" }),
    ).toEqual({ kind: "semver" });
    expect(
      buildPolicy({ kind: "numeric", range: "", allowPrerelease: true, extract: "^b(\\d+)$" }),
    ).toEqual({
      kind: "numeric",
      extract: "^b(\\d+)$",
    });
    expect(
      buildPolicy({ kind: "digest", range: "^1", allowPrerelease: true, extract: "" }),
    ).toEqual({ kind: "digest" });
  });
});
