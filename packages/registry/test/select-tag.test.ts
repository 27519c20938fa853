import { describe, expect, test } from "vitest";
import { type SelectTagOptions, selectTag, type TagPolicy, TagPolicyError } from "../src/select.js";

const D = (hex: string) => `sha256:${hex.repeat(64)}`;
const semver: TagPolicy = { kind: "semver" };

/** Checks that no ordering of the tags changes the result. */
function selectInEveryOrder(options: SelectTagOptions) {
  const forward = selectTag(options);
  const reversed = selectTag({ ...options, tags: [...options.tags].reverse() });
  expect(reversed.selected).toBe(forward.selected);
  return forward;
}

describe("glob filter limits every policy", () => {
  const tagsA = [
    "latest",
    "k8s-main-20250409-031416",
    "k8s-dev-20250409-024600",
    "k8s-dev-20250408-101500",
    "k8s-dev-20250407-235959",
  ];

  test.each([
    { kind: "alphabetical" },
    { kind: "numeric", extract: "^k8s-[a-z]+-(\\d{8})-\\d{6}$" },
  ] as const)("picks newest k8s-dev tag with %j", (policy) => {
    const result = selectInEveryOrder({
      tags: tagsA,
      include: "k8s-dev-*",
      policy,
      current: "k8s-dev-20250408-101500",
    });

    expect(result.selected).toBe("k8s-dev-20250409-024600");
    expect(result.candidates.map((tag) => tag.name)).not.toContain("k8s-main-20250409-031416");
  });

  test("newest policy ignores newer tag outside pattern", () => {
    const result = selectTag({
      tags: [
        { name: "k8s-main-20250409-031416", createdAt: "2025-04-09T03:14:16Z" },
        { name: "k8s-dev-20250409-024600", createdAt: "2025-04-09T02:46:00Z" },
        { name: "k8s-dev-20250408-101500", createdAt: "2025-04-08T10:15:00Z" },
      ],
      include: "k8s-dev-*",
      policy: { kind: "newest" },
      current: "k8s-dev-20250408-101500",
    });

    expect(result.selected).toBe("k8s-dev-20250409-024600");
  });

  test("orders the wildcard part as a version", () => {
    const result = selectInEveryOrder({
      tags: [
        "version-v0.17.886",
        "version-v0.17.908",
        "version-v0.17.1002",
        "latest",
        "v0.17.1100",
      ],
      include: "version-*",
      policy: semver,
      current: "version-v0.17.886",
    });

    expect(result.selected).toBe("version-v0.17.1002");
    expect(result.reason).toBe("version-v0.17.1002 is the highest version matching version-*");
  });

  test("digest policy respects the filter", () => {
    const result = selectTag({
      tags: [{ name: "latest", digest: D("a") }],
      include: "k8s-dev-*",
      policy: { kind: "digest" },
      current: "latest",
    });

    expect(result.selected).toBeNull();
  });
});

describe("semver pre-releases", () => {
  test.each([
    ["v0.9.0", ["v1.0.1-64.272fa09", "v1.0.0", "v0.9.0"], false, "v1.0.0"],
    ["v2.1.4", ["v2.3.0-rc.0.18.g1abb7b5dd-ppc64le", "v2.2.0", "v2.1.4"], false, "v2.2.0"],
    ["v0.9.0", ["v1.0.1-64.272fa09", "v1.0.0", "v0.9.0"], true, "v1.0.1-64.272fa09"],
    ["1.0.0", ["1.1.0-beta.2", "1.1.0-beta.10", "1.0.0"], true, "1.1.0-beta.10"],
    ["1.0.0-rc.1", ["1.0.0-rc.1", "1.0.0-rc.2", "1.0.0"], true, "1.0.0"],
  ])("current %s among %j allowPrerelease=%s → %s", (current, tags, allowPrerelease, expected) => {
    const result = selectInEveryOrder({
      tags,
      policy: { kind: "semver", allowPrerelease },
      current,
    });

    expect(result.selected).toBe(expected);
  });

  test("reason names the skipped pre-release", () => {
    const result = selectTag({
      tags: ["v1.4.2", "v2.0.0-rc.1", "v1.3.0"],
      include: "v*",
      policy: semver,
      current: "v1.3.0",
    });

    expect(result.selected).toBe("v1.4.2");
    expect(result.reason).toBe(
      "v1.4.2 is the highest version matching v*; v2.0.0-rc.1 skipped: pre-release",
    );
  });
});

describe("semver variants", () => {
  const pythonTags = [
    "3.8.0-alpine3.10",
    "3.8.0b1-alpine3.10",
    "3.8.1",
    "3.8.1-slim",
    "3.8.1-alpine3.10",
    "3.8.1-alpine3.11",
    "3.9.0rc1-alpine3.10",
  ];

  test("stays on the same variant", () => {
    const result = selectInEveryOrder({
      tags: pythonTags,
      policy: semver,
      current: "3.8.0-alpine3.10",
    });

    expect(result.selected).toBe("3.8.1-alpine3.10");
  });

  test("major tag never moves to other forms", () => {
    const result = selectInEveryOrder({
      tags: ["1", "2", "2-slim", "2-slim-rootless"],
      policy: semver,
      current: "2",
    });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("2 is already the highest version");
  });

  test("major tag moves to next major", () => {
    const result = selectInEveryOrder({
      tags: ["1", "2", "2-slim", "2-slim-rootless", "3", "3.0.1"],
      policy: semver,
      current: "2",
    });

    expect(result.selected).toBe("3");
  });

  test("major tag ignores patch versions", () => {
    const result = selectTag({ tags: ["1", "2", "2.0.1", "2-slim"], policy: semver, current: "2" });

    expect(result.selected).toBeNull();
  });

  test("bare version wins without a current tag", () => {
    const result = selectTag({ tags: pythonTags, policy: semver });

    expect(result.selected).toBe("3.8.1");
  });

  test("variant pattern works without a current tag", () => {
    const result = selectTag({ tags: pythonTags, include: "*-alpine3.10", policy: semver });

    expect(result.selected).toBe("3.8.1-alpine3.10");
  });
});

describe("semver ordering", () => {
  test.each([
    ["1.9.0", ["1.10.0", "1.9.0", "1.2.0"], "1.10.0"],
    ["1.2.3.9", ["1.2.3.10", "1.2.3.9", "1.2.3.2"], "1.2.3.10"],
    ["v1.0.0", ["1.1.0", "v1.0.0"], "1.1.0"],
    ["1.0.0", ["9007199254740993.0.0", "9007199254740992.0.0", "1.0.0"], "9007199254740993.0.0"],
  ])("current %s among %j → %s", (current, tags, expected) => {
    expect(selectInEveryOrder({ tags, policy: semver, current }).selected).toBe(expected);
  });

  test("never downgrades", () => {
    const result = selectInEveryOrder({
      tags: ["1.0.0", "1.1.0", "1.2.0"],
      policy: semver,
      current: "1.5.0",
    });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("1.5.0 is already the highest version");
  });

  test("keeps the tag as written", () => {
    expect(selectTag({ tags: ["V2.0.0", "v1.0.0"], policy: semver }).selected).toBe("V2.0.0");
  });

  test("range limits the choice", () => {
    const result = selectInEveryOrder({
      tags: ["1.2.0", "1.3.5", "2.0.0"],
      policy: { kind: "semver", range: "^1.2" },
      current: "1.2.0",
    });

    expect(result.selected).toBe("1.3.5");
    expect(result.reason).toBe("1.3.5 is the highest version; 2.0.0 skipped: outside ^1.2");
  });

  test("range with x wildcard", () => {
    const result = selectTag({
      tags: ["1.2.0", "1.2.9", "1.3.0"],
      policy: { kind: "semver", range: "1.2.x" },
    });

    expect(result.selected).toBe("1.2.9");
  });

  test("current that is not a version is replaced", () => {
    const result = selectTag({ tags: ["latest", "1.0.0"], policy: semver, current: "latest" });

    expect(result.selected).toBe("1.0.0");
    expect(result.reason).toContain("the current tag latest has no rank under this policy");
  });

  test("candidates are ranked best first", () => {
    const result = selectTag({ tags: ["1.0.0", "1.10.0", "latest", "1.9.0"], policy: semver });

    expect(result.candidates.map((tag) => tag.name)).toEqual(["1.10.0", "1.9.0", "1.0.0"]);
  });
});

describe("numeric policy", () => {
  test("orders by extracted number", () => {
    const result = selectInEveryOrder({
      tags: ["build-9", "build-10", "build-100", "latest"],
      policy: { kind: "numeric", extract: "^build-(\\d+)$" },
      current: "build-9",
    });

    expect(result.selected).toBe("build-100");
  });

  test("compares numbers beyond 2^53 exactly", () => {
    const result = selectInEveryOrder({
      tags: ["9007199254740993", "9007199254740992"],
      policy: { kind: "numeric" },
      current: "9007199254740992",
    });

    expect(result.selected).toBe("9007199254740993");
  });

  test("compares decimal fractions", () => {
    const result = selectTag({ tags: ["1.5", "1.10", "1.05"], policy: { kind: "numeric" } });

    expect(result.selected).toBe("1.5");
  });

  test("uses the wildcard text without extract", () => {
    const result = selectTag({
      tags: ["run-7", "run-12", "run-x"],
      include: "run-*",
      policy: { kind: "numeric" },
    });

    expect(result.selected).toBe("run-12");
  });

  test("non-numeric capture is a configuration error", () => {
    expect(() =>
      selectTag({
        tags: ["build-12", "build-abc"],
        policy: { kind: "numeric", extract: "^build-(.*)$" },
      }),
    ).toThrow(/captured "abc" from tag build-abc, which is not a number/);
  });
});

describe("alphabetical and newest", () => {
  test("alphabetical uses code-point order", () => {
    const result = selectInEveryOrder({
      tags: ["2025.04.09", "2025.04.10", "2025.03.31"],
      policy: { kind: "alphabetical" },
      current: "2025.04.09",
    });

    expect(result.selected).toBe("2025.04.10");
  });

  test("newest needs creation times", () => {
    const result = selectTag({ tags: ["a", "b"], policy: { kind: "newest" } });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("no tag qualifies: no creation time (2)");
  });

  test("newest never moves to an older tag", () => {
    const result = selectTag({
      tags: [
        { name: "old", createdAt: new Date("2025-01-01T00:00:00Z") },
        { name: "now", createdAt: new Date("2025-02-01T00:00:00Z") },
      ],
      policy: { kind: "newest" },
      current: "now",
    });

    expect(result.selected).toBeNull();
  });

  test("newest skips tags with the running digest", () => {
    const result = selectTag({
      tags: [
        { name: "9f1c2ab", digest: D("a"), createdAt: "2025-01-01T00:00:00Z" },
        { name: "latest", digest: D("a"), createdAt: "2025-01-02T00:00:00Z" },
      ],
      policy: { kind: "newest" },
      current: "9f1c2ab",
      currentDigest: D("a"),
    });

    expect(result.selected).toBeNull();
  });

  test("reason names a higher tag on the running image", () => {
    const result = selectTag({
      tags: [
        { name: "1.0.0", digest: D("a") },
        { name: "1.1.0", digest: D("b") },
        { name: "1.2.0", digest: D("a") },
      ],
      policy: { kind: "semver" },
      current: "1.0.0",
      currentDigest: D("a"),
    });

    expect(result.selected).toBe("1.1.0");
    expect(result.reason).toBe("1.1.0 is the highest version; 1.2.0 skipped: same image as 1.0.0");
  });
});

describe("digest policy", () => {
  const policy: TagPolicy = { kind: "digest" };

  test("same digest is no update", () => {
    const result = selectTag({
      tags: [{ name: "latest", digest: D("a") }],
      policy,
      current: "latest",
      currentDigest: D("a"),
    });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("latest still points to sha256:aaaaaaaaaaaa");
  });

  test("new digest selects the same tag", () => {
    const result = selectTag({
      tags: [{ name: "latest", digest: D("c") }],
      policy,
      current: "latest",
      currentDigest: D("a"),
    });

    expect(result.selected).toBe("latest");
    expect(result.digest).toBe(D("c"));
    expect(result.reason).toBe(
      "latest points to a new digest sha256:cccccccccccc (was sha256:aaaaaaaaaaaa)",
    );
  });

  test("mutable major tag is watched by digest", () => {
    const result = selectTag({
      tags: [
        { name: "1", digest: D("1") },
        { name: "2", digest: D("e") },
        { name: "2.0.1", digest: D("f") },
        { name: "2-slim", digest: D("9") },
      ],
      policy,
      current: "2",
      currentDigest: D("d"),
    });

    expect(result.selected).toBe("2");
    expect(result.digest).toBe(D("e"));
  });

  test("plain include names the watched tag", () => {
    const result = selectTag({
      tags: [{ name: "stable", digest: D("b") }],
      include: "stable",
      policy,
    });

    expect(result.selected).toBe("stable");
  });

  test("needs a tag to watch", () => {
    const result = selectTag({
      tags: [{ name: "stable", digest: D("b") }],
      include: "st*",
      policy,
    });

    expect(result.selected).toBeNull();
    expect(result.reason).toMatch(/watches one tag/);
  });
});

describe("empty and unmatched input", () => {
  test.each([
    { kind: "semver" },
    { kind: "numeric" },
    { kind: "alphabetical" },
    { kind: "newest" },
    { kind: "digest" },
  ] as const)("no tags gives null for %j", (policy) => {
    const result = selectTag({ tags: [], policy, current: "1.0.0" });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("the registry returned no tags");
  });

  test("no matching tag gives reason", () => {
    const result = selectTag({ tags: ["a", "b"], include: "v*", policy: semver });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("no tag matching v* among 2 tags");
  });

  test("only signature tags gives reason", () => {
    const result = selectTag({ tags: ["sha256-abc.sig", "sha256-abc.att"], policy: semver });

    expect(result.selected).toBeNull();
    expect(result.reason).toBe("no tag other than signatures and attestations among 2 tags");
  });

  test("signature tags never qualify", () => {
    const result = selectTag({
      tags: ["sha256-abc.sig", "1.0.0"],
      policy: { kind: "alphabetical" },
    });

    expect(result.selected).toBe("1.0.0");
  });
});

describe("invalid policies", () => {
  test.each([
    [{ kind: "latest" }, "policy.kind", /unknown policy kind "latest": use one of semver, numeric/],
    [
      { kind: "semver", range: "not a range" },
      "policy.range",
      /invalid semver range "not a range"/,
    ],
    [{ kind: "semver", allowPrerelease: "yes" }, "policy.allowPrerelease", /true or false/],
    [{ kind: "numeric", extract: "(" }, "policy.extract", /invalid extract expression "\("/],
    [{ kind: "numeric", extract: "^build-\\d+$" }, "policy.extract", /has 0 capture groups/],
    [{ kind: "numeric", extract: "^(a)-(\\d+)$" }, "policy.extract", /has 2 capture groups/],
    [null, "policy", /policy must be an object/],
  ])("rejects %j", (policy, option, message) => {
    let caught: unknown;
    try {
      selectTag({ tags: ["1"], policy: policy as TagPolicy });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(TagPolicyError);
    expect((caught as TagPolicyError).option).toBe(option);
    expect((caught as TagPolicyError).message).toMatch(message);
  });
});
