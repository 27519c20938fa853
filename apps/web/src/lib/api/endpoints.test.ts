import { describe, expect, test } from "vitest";
import { normaliseTags } from "./endpoints.js";

describe("normaliseTags", () => {
  test("keeps names and creation times", () => {
    const tags = normaliseTags([{ name: "1.0.0", createdAt: "2026-12-01T10:00:00.000Z" }]);

    expect(tags).toEqual([{ name: "1.0.0", createdAt: "2026-12-01T10:00:00.000Z" }]);
  });

  test("drops null creation times", () => {
    expect(normaliseTags([{ name: "1.0.0", createdAt: null }])).toEqual([{ name: "1.0.0" }]);
  });

  test("accepts bare names and skips junk", () => {
    expect(normaliseTags(["1.1.0", 42, null, { tag: "x" }])).toEqual([{ name: "1.1.0" }]);
  });
});
