import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  createTagFilter,
  ImageReferenceError,
  parseImageReference,
  parseTagPolicy,
  selectTag,
  type TagPolicy,
  TagPolicyError,
} from "../src/select.js";

/** A fixed seed makes a failure repeatable; the run counts keep each property under a few seconds. */
const RUNS = { seed: 20261204, numRuns: 400 };

/** Characters references and globs are made of, plus the ones that break naive parsers. */
const REFERENCE_CHARS = fc.constantFrom(
  ..."abcAZ09.-_:/@[]!*?{}()+\\ \t\n\u0000é😀".split(""),
  "sha256:",
  "a".repeat(64),
  "localhost",
  "..",
  "//",
);
const referenceText = fc.oneof(
  fc.string({ unit: REFERENCE_CHARS, maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ maxLength: 5000 }),
);

/** Any JSON-ish value: what a YAML file or an API body can put where a string or policy belongs. */
const jsonish = fc.jsonValue({ maxDepth: 4 });

/** Runs `action` and returns what it threw, or `undefined`. */
function thrown(action: () => unknown): unknown {
  try {
    action();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("parseImageReference fuzz", () => {
  test("throws only ImageReferenceError", () => {
    fc.assert(
      fc.property(referenceText, (text) => {
        const error = thrown(() => parseImageReference(text));
        if (error === undefined) return;

        expect(error).toBeInstanceOf(ImageReferenceError);
        expect((error as ImageReferenceError).message).toContain("invalid image reference");
      }),
      RUNS,
    );
  });

  test("parsed repository is lower case", () => {
    fc.assert(
      fc.property(referenceText, (text) => {
        const error = thrown(() => parseImageReference(text));
        fc.pre(error === undefined);

        const reference = parseImageReference(text);
        expect(reference.registry).not.toBe("");
        expect(reference.repository).toBe(reference.repository.toLowerCase());
      }),
      RUNS,
    );
  });
});

describe("createTagFilter fuzz", () => {
  const pattern = fc.oneof(
    fc.string({ unit: REFERENCE_CHARS, maxLength: 30 }),
    fc.string({ maxLength: 600 }),
  );
  const patterns = fc.oneof(pattern, fc.array(pattern, { maxLength: 5 }));

  test("bad glob names its option", () => {
    fc.assert(
      fc.property(patterns, patterns, fc.string({ maxLength: 40 }), (include, exclude, tag) => {
        const error = thrown(() => createTagFilter({ include, exclude }).matches(tag));
        if (error === undefined) return;

        expect(error).toBeInstanceOf(TagPolicyError);
        expect(["include", "exclude"]).toContain((error as TagPolicyError).option);
      }),
      RUNS,
    );
  });

  test("wrong value type is TagPolicyError", () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const options = { include: value } as unknown as Parameters<typeof createTagFilter>[0];
        const error = thrown(() => createTagFilter(options));
        if (error === undefined) return;

        expect(error).toBeInstanceOf(TagPolicyError);
      }),
      RUNS,
    );
  });
});

describe("selectTag fuzz", () => {
  const policy = fc.oneof(
    fc.record({
      kind: fc.constant("semver"),
      range: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      allowPrerelease: fc.option(fc.boolean(), { nil: undefined }),
    }),
    fc.record({ kind: fc.constant("numeric"), extract: fc.string({ maxLength: 20 }) }),
    fc.constantFrom({ kind: "alphabetical" }, { kind: "newest" }, { kind: "digest" }),
    jsonish,
  );
  const tag = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.record({
      name: fc.string({ maxLength: 30 }),
      digest: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
      createdAt: fc.option(fc.oneof(fc.string(), fc.integer(), fc.date({ noInvalidDate: false })), {
        nil: undefined,
      }),
    }),
  );

  test("throws only TagPolicyError", () => {
    fc.assert(
      fc.property(
        fc.array(tag, { maxLength: 30 }),
        policy,
        fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
        (tags, generated, current) => {
          const options = { tags, policy: generated as TagPolicy, current };
          const error = thrown(() => selectTag(options));
          if (error === undefined) {
            expect(typeof selectTag(options).reason).toBe("string");
            return;
          }

          expect(error).toBeInstanceOf(TagPolicyError);
          expect((error as Error).message.length).toBeGreaterThan(10);
        },
      ),
      RUNS,
    );
  });

  test("malformed policy is TagPolicyError", () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const error = thrown(() => parseTagPolicy(value));
        if (error === undefined) return;

        expect(error).toBeInstanceOf(TagPolicyError);
      }),
      RUNS,
    );
  });

  // Its speed is measured by the registry benchmark, not here: timings on a shared machine
  // make flaky tests.
  test("selects among 100,000 tags", () => {
    const tags = Array.from({ length: 100_000 }, (_, index) => `1.${index % 1000}.${index}`);

    const result = selectTag({ tags, policy: { kind: "semver" } });

    expect(result.selected).toBe("1.999.99999");
  });
});
