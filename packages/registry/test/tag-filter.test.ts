import { describe, expect, test } from "vitest";
import { checkTagPattern, createTagFilter, TagPolicyError } from "../src/select.js";

describe("createTagFilter", () => {
  test.each([
    // [include, exclude, tag, matches]
    [[], [], "anything", true],
    [undefined, undefined, "latest", true],
    ["k8s-dev-*", [], "k8s-dev-20250409-024600", true],
    ["k8s-dev-*", [], "k8s-main-20250409-031416", false],
    ["k8s-dev-*", [], "xk8s-dev-20250409", false],
    ["k8s-dev-*", [], "k8s-dev-1-x", true],
    ["v*.*.*", [], "v1.2.3", true],
    ["v*.*.*", [], "v1.2", false],
    ["v1.*", [], "v1.2.3", true],
    ["1.2.*", [], "1.2.10", true],
    [["dev-*", "main-*"], [], "main-5", true],
    [["dev-*", "main-*"], [], "feature-5", false],
    [["v*", "!v1*"], [], "v2.0.0", true],
    [["v*", "!v1*"], [], "v1.9.0", false],
    ["v*", ["*-rc*"], "v2.0.0-rc1", false],
    ["*-{alpine,slim}", [], "1.0-slim", true],
    ["*-{alpine,slim}", [], "1.0-bookworm", false],
    ["build-+([0-9])", [], "build-123", true],
    ["build-+([0-9])", [], "build-12a", false],
    ["Dev-*", [], "dev-abc", true],
    ["dev-*", [], "DEV-ABC", true],
    ["*", [], "sha256-aaaa.sig", false],
    ["*", [], "v1.0.0.att", false],
    ["*", [], "v1.0.0.sbom", false],
    ["*", [], "sha256-aaaa", false],
  ] as const)("include %j exclude %j on %s → %s", (include, exclude, tag, expected) => {
    const filter = createTagFilter({
      ...(include === undefined ? {} : { include }),
      ...(exclude === undefined ? {} : { exclude }),
    });

    expect(filter.matches(tag)).toBe(expected);
  });

  test("case-sensitive filter tells case apart", () => {
    const filter = createTagFilter({ include: "Dev-*", caseSensitive: true });

    expect(filter.matches("Dev-abc")).toBe(true);
    expect(filter.matches("dev-abc")).toBe(false);
  });

  test("wildcard text of a single star", () => {
    const filter = createTagFilter({ include: "version-*" });

    expect(filter.wildcardText("version-v0.17.1002")).toBe("v0.17.1002");
    expect(filter.wildcardText("v0.17.1100")).toBeUndefined();
  });

  test("wildcard text needs exactly one wildcard", () => {
    const filter = createTagFilter({ include: "v*.*.*" });

    expect(filter.wildcardText("v1.2.3")).toBeUndefined();
  });

  test("describe names the include patterns", () => {
    expect(createTagFilter({ include: ["v*", "release-*"] }).describe()).toBe(
      " matching v* or release-*",
    );
    expect(createTagFilter({}).describe()).toBe("");
  });

  test.each([
    [{ include: "" }, "include", /invalid include pattern "": it is empty/],
    [{ include: ["v*", "  "] }, "include", /it is empty/],
    [{ include: "!" }, "include", /it is empty/],
    [{ include: "acme/app:*" }, "include", /contain no \//],
    [{ include: "v* v2*" }, "include", /no whitespace/],
    [{ include: "v[0-9" }, "include", /invalid include pattern "v\[0-9"/],
    [{ exclude: "!v1*" }, "exclude", /remove the !/],
    [{ exclude: "x".repeat(300) }, "exclude", /longer than 256/],
    [{ include: [5 as unknown as string] }, "include", /must list glob strings/],
    [{ include: "dev-[*" }, "include", /"dev-\[\*": "\[" at position 5 has no closing "\]"/],
    [{ include: "dev-*," }, "include", /"dev-\*,": tags contain no ",": give each pattern/],
    [{ include: "v1.*$" }, "include", /tags contain no "\$"/],
    [{ include: "^dev-.*" }, "include", /tags contain no "\^"/],
    [{ include: "dev:*" }, "include", /tags contain no ":"/],
    [{ include: "dev-{a,b" }, "include", /"\{" has no closing "\}"/],
    [{ include: "dev-a}" }, "include", /"\}" has no opening "\{"/],
    [{ include: "dev-)" }, "include", /"\)" has no opening "\("/],
    [{ include: "dev-]" }, "include", /"\]" has no opening "\["/],
    [{ include: "dev-[]" }, "include", /empty class/],
    [{ include: "dev-[=]" }, "include", /tags contain no "=": a class/],
    [{ exclude: "*#*" }, "exclude", /invalid exclude pattern "\*#\*": tags contain no "#"/],
  ])("rejects %j", (options, option, message) => {
    let caught: unknown;
    try {
      createTagFilter(options);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(TagPolicyError);
    expect((caught as TagPolicyError).option).toBe(option);
    expect((caught as TagPolicyError).message).toMatch(message);
  });
});

describe("tag pattern syntax", () => {
  test.each([
    ["*-{alpine,slim}", "1.0-slim"],
    ["[[:digit:]]*", "1.2.3"],
    ["dev-[^a-f]*", "dev-x1"],
    ["@(main|dev)-*", "dev-7"],
    ["v\\.*", "v.1"],
    ["build_?", "build_1"],
  ])("accepts glob %s", (pattern, tag) => {
    const filter = createTagFilter({ include: pattern });

    expect(filter.matches(tag)).toBe(true);
  });
});

describe("checkTagPattern", () => {
  test.each([
    [" dev-*", "include", 'invalid include pattern " dev-*": remove the whitespace around it'],
    ["dev-* ", "exclude", 'invalid exclude pattern "dev-* ": remove the whitespace around it'],
    [
      "dev-[*",
      "include",
      'invalid include pattern "dev-[*": "[" at position 5 has no closing "]": close the class, e.g. [0-9]',
    ],
    [
      "dev-*,",
      "include",
      'invalid include pattern "dev-*,": tags contain no ",": give each pattern as its own list entry, or write {a,b} for alternatives',
    ],
    [
      "!v1*",
      "exclude",
      'invalid exclude pattern "!v1*": remove the !, exclude patterns already exclude',
    ],
  ] as const)("rejects %j as %s", (pattern, option, message) => {
    let caught: unknown;
    try {
      checkTagPattern(pattern, option);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(TagPolicyError);
    expect((caught as TagPolicyError).option).toBe(option);
    expect((caught as TagPolicyError).message).toBe(message);
  });

  test.each([
    ["dev-*", "include"],
    ["!v1*", "include"],
    ["*-rc*", "exclude"],
  ] as const)("accepts %s as %s", (pattern, option) => {
    expect(() => checkTagPattern(pattern, option)).not.toThrow();
  });
});
