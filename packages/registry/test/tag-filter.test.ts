import { describe, expect, test } from "vitest";
import { createTagFilter, TagPolicyError } from "../src/select.js";

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
