import picomatch from "picomatch/posix.js";
import { TagPolicyError } from "./config-errors.js";
import { patternProblem } from "./tag-filter-syntax.js";

export interface TagFilterOptions {
  /** Globs a tag must match (any of them). Empty or missing: every tag. A `!glob` excludes. */
  include?: string | readonly string[];
  /** Globs that remove a tag even when it matches `include`. */
  exclude?: string | readonly string[];
  /**
   * Default `false`: Gitea stores tags in lower case, so `Dev-*` must still match `dev-abc`
   * there. Set `true` to tell `V1` from `v1`.
   */
  caseSensitive?: boolean;
}

export interface TagFilter {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Whether `tag` passes the include and exclude globs and the built-in exclusions. */
  matches(tag: string): boolean;
  /**
   * The text the single wildcard of the matching include glob stood for, e.g. `v0.17.1002`
   * for `version-*` and `version-v0.17.1002`; `undefined` when no include glob has exactly one
   * wildcard group or the tag does not match.
   */
  wildcardText(tag: string): string | undefined;
  /** A phrase for reasons, ` matching v*` (with its leading space), or `""` when every tag matches. */
  describe(): string;
}

/**
 * Tags that are never deployable images: cosign signatures, attestations and SBOMs
 * (`sha256-….sig`, `.att`, `.sbom`). Flux excludes `^.*\.sig$` by default for the same reason.
 */
export const BUILT_IN_EXCLUDES: readonly string[] = ["sha256-*", "*.sig", "*.att", "*.sbom"];

/**
 * Creates a tag filter from picomatch globs. `*` matches any characters (dots included), so
 * `v1.*` matches `v1.2.3`. Patterns in one list are OR-ed, and `exclude` wins over `include`.
 *
 * @throws TagPolicyError naming the pattern when a glob is empty, contains whitespace or a
 *   character no tag contains (`/`, `:`, a `,` outside braces), or has unbalanced brackets.
 */
export function createTagFilter(options: TagFilterOptions = {}): TagFilter {
  const nocase = options.caseSensitive !== true;
  const listed = toList(options.include, "include");
  const include = listed.filter((pattern) => !isNegated(pattern));
  const excludeListed = toList(options.exclude, "exclude");
  const doubleNegated = excludeListed.find(isNegated);
  if (doubleNegated !== undefined) {
    throw new TagPolicyError(
      "exclude",
      `invalid exclude pattern "${doubleNegated}": remove the !, exclude patterns already exclude`,
    );
  }
  const exclude = [
    ...listed.filter(isNegated).map((pattern) => pattern.slice(1)),
    ...excludeListed,
  ];

  const includeMatchers = include.map((pattern) => compile(pattern, "include", nocase));
  const excludeMatchers = [...exclude, ...BUILT_IN_EXCLUDES].map((pattern) =>
    compile(pattern, "exclude", nocase),
  );

  const matches = (tag: string): boolean => {
    if (excludeMatchers.some((matcher) => matcher.regex.test(tag))) {
      return false;
    }
    return (
      includeMatchers.length === 0 || includeMatchers.some((matcher) => matcher.regex.test(tag))
    );
  };

  return {
    include,
    exclude,
    matches,
    wildcardText(tag) {
      if (!matches(tag)) {
        return undefined;
      }
      for (const matcher of includeMatchers) {
        const groups = matcher.regex.exec(tag);
        if (groups && groups.length === 2) {
          return groups[1];
        }
      }
      return undefined;
    },
    describe() {
      return include.length === 0 ? "" : ` matching ${include.join(" or ")}`;
    },
  };
}

/**
 * Checks one include or exclude pattern as a stage is saved. The pattern is compiled as
 * `createTagFilter` compiles it for a poll. Whitespace around it is rejected too, although a
 * poll trims it, so that the stored pattern is the one that runs.
 *
 * @throws TagPolicyError naming the option and the pattern, and saying what is wrong.
 */
export function checkTagPattern(pattern: string, option: "include" | "exclude"): void {
  if (pattern !== pattern.trim()) {
    throw new TagPolicyError(
      option,
      `invalid ${option} pattern ${JSON.stringify(pattern)}: remove the whitespace around it`,
    );
  }
  createTagFilter(option === "include" ? { include: [pattern] } : { exclude: [pattern] });
}

function toList(value: string | readonly string[] | undefined, option: string): string[] {
  if (value === undefined) {
    return [];
  }
  // Options also arrive from YAML files and API bodies, where `include:` can be null or a number.
  if (typeof value !== "string" && !Array.isArray(value)) {
    throw new TagPolicyError(
      option,
      `${option} must be a glob string or a list of them, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  const list: unknown[] = typeof value === "string" ? [value] : [...value];
  const trimmed = list.map((pattern) => {
    if (typeof pattern !== "string") {
      throw new TagPolicyError(option, `${option} must list glob strings, got ${String(pattern)}`);
    }
    return pattern.trim();
  });
  for (const pattern of trimmed) {
    const problem = patternProblem(pattern);
    if (problem) {
      throw new TagPolicyError(option, `invalid ${option} pattern "${pattern}": ${problem}`);
    }
  }
  return trimmed;
}

/** Tells whether a leading `!` negates the glob; `!(…)` is a picomatch extglob instead. */
function isNegated(pattern: string): boolean {
  return pattern.startsWith("!") && !pattern.startsWith("!(");
}

function compile(pattern: string, option: string, nocase: boolean): { regex: RegExp } {
  try {
    const regex = picomatch.makeRe(pattern, {
      nocase,
      capture: true,
      strictBrackets: true,
      windows: false,
    });
    return { regex };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TagPolicyError(option, `invalid ${option} pattern "${pattern}": ${detail}`);
  }
}
