import { describe, expect, test } from "vitest";
import { countStagesTakingTag } from "../src/webhooks/tag-match.js";

const dev = { tagInclude: ["dev-*"], tagExclude: [] };
const release = { tagInclude: ["v*"], tagExclude: ["*-rc*"] };
const everything = { tagInclude: [], tagExclude: [] };

describe("countStagesTakingTag", () => {
  test.each([
    { tag: "dev-1", stages: [dev, release], expected: 1 },
    { tag: "v1.2.0", stages: [dev, release], expected: 1 },
    { tag: "v1.2.0-rc1", stages: [dev, release], expected: 0 },
    { tag: "9.9.9", stages: [dev, release], expected: 0 },
    { tag: "9.9.9", stages: [dev, everything], expected: 1 },
    { tag: "DEV-2", stages: [dev], expected: 1 },
    { tag: "sha256-abc.sig", stages: [everything], expected: 0 },
    { tag: "dev-1", stages: [], expected: 0 },
  ])("$tag is taken by $expected stage(s)", ({ tag, stages, expected }) => {
    expect(countStagesTakingTag(stages, tag)).toBe(expected);
  });
});
