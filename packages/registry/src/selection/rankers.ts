import semver from "semver";
import { TagPolicyError } from "../config-errors.js";
import type { TagFilter } from "../tag-filter.js";
import { compileExtract, type NumericPolicy, type SemverPolicy } from "./policy.js";
import type { TagInfo } from "./tags.js";
import {
  compareValues,
  compareVersions,
  parseTagVersion,
  type TagVersion,
  toSemverString,
} from "./version.js";

/** A tag's rank under a policy, or why the policy skips it (with its rank when it has one). */
export type Ranking<K> = { key: K; skip?: undefined } | { skip: string; key?: K };

/** Orders tags under one policy. */
export interface Ranker<K> {
  /** Words for the best tag in reasons: `highest version`, `newest tag`. */
  readonly best: string;
  rank(tag: TagInfo): Ranking<K>;
  compare(a: K, b: K): number;
}

export interface RankerContext {
  filter: TagFilter;
  /** The tag the stage runs now, when known, with what the registry reported for it. */
  current: TagInfo | undefined;
  /** Every tag that passed the filter. */
  matched: readonly TagInfo[];
}

/**
 * Ranks by version. A tag is read as a version itself or, failing that, the text a single
 * `*` of the include glob matched (`version-*` on `version-v0.17.1002`). With a current tag,
 * only versions of the same form qualify: the same number of parts (`2` moves to `3`, never
 * to `2.0.1`) and the same variant suffix (`-alpine3.10` stays `-alpine3.10`). Without a
 * current tag, plain versions win over variants when there are any.
 */
export function semverRanker(policy: SemverPolicy, context: RankerContext): Ranker<TagVersion> {
  const readVersion = (name: string) =>
    parseTagVersion(name) ?? parseWildcard(context.filter.wildcardText(name));
  const currentVersion = context.current ? readVersion(context.current.name) : undefined;
  const plainOnly =
    currentVersion === undefined &&
    context.matched.some((tag) => readVersion(tag.name)?.variant === "");
  const range = policy.range;
  const includePrerelease = policy.allowPrerelease === true;

  return {
    best: "highest version",
    compare: compareVersions,
    rank(tag) {
      const version = readVersion(tag.name);
      if (!version) {
        return { skip: "not a version" };
      }
      if (version.prerelease.length > 0 && !includePrerelease) {
        return { skip: "pre-release", key: version };
      }
      const formProblem = currentVersion
        ? formDifference(version, currentVersion)
        : plainOnly && version.variant !== ""
          ? "has a variant suffix"
          : undefined;
      if (formProblem) {
        return { skip: formProblem, key: version };
      }
      if (range !== undefined && !satisfies(version, range, includePrerelease)) {
        return { skip: `outside ${range}`, key: version };
      }
      return { key: version };
    },
  };
}

function parseWildcard(text: string | undefined): TagVersion | undefined {
  return text === undefined ? undefined : parseTagVersion(text);
}

function formDifference(version: TagVersion, current: TagVersion): string | undefined {
  if (version.variant !== current.variant) {
    return current.variant === "" ? "has a variant suffix" : `not the ${current.variant} variant`;
  }
  if (version.parts.length !== current.parts.length) {
    return `${version.parts.length} version parts, the current tag has ${current.parts.length}`;
  }
  return undefined;
}

function satisfies(version: TagVersion, range: string, includePrerelease: boolean): boolean {
  try {
    return semver.satisfies(toSemverString(version), range, { includePrerelease });
  } catch {
    // node-semver rejects numbers above 2^53; such a version cannot be checked against a range.
    return false;
  }
}

/** A number taken from a tag: integer part and fraction digits, compared exactly. */
export interface NumericKey {
  integer: bigint;
  fraction: string;
}

const NUMBER = /^(\d+)(?:\.(\d+))?$/;

/**
 * Ranks by a number: the capture group of `extract`, or else the whole tag or the text of the
 * include glob's single `*` when that is a number.
 *
 * @throws TagPolicyError when `extract` captures something that is not a number, because the
 *   expression then fits the tags badly and every order it gave would be a guess.
 */
export function numericRanker(policy: NumericPolicy, context: RankerContext): Ranker<NumericKey> {
  const extract = policy.extract === undefined ? undefined : compileExtract(policy.extract);

  return {
    best: "highest number",
    compare: compareNumbers,
    rank(tag) {
      if (!extract) {
        const text = NUMBER.test(tag.name) ? tag.name : context.filter.wildcardText(tag.name);
        const key = text === undefined ? undefined : toNumericKey(text);
        return key ? { key } : { skip: "not a number" };
      }

      const match = extract.exec(tag.name);
      if (!match) {
        return { skip: `does not match ${policy.extract}` };
      }
      const captured = match[1];
      const key = captured === undefined ? undefined : toNumericKey(captured);
      if (!key) {
        throw new TagPolicyError(
          "policy.extract",
          `extract expression "${policy.extract}" captured "${captured ?? ""}" from tag ${tag.name}, which is not a number: make the group match digits only, e.g. (\\d+)`,
        );
      }
      return { key };
    },
  };
}

function toNumericKey(text: string): NumericKey | undefined {
  const match = NUMBER.exec(text);
  if (!match) {
    return undefined;
  }
  return { integer: BigInt(match[1] ?? "0"), fraction: (match[2] ?? "").replace(/0+$/, "") };
}

function compareNumbers(a: NumericKey, b: NumericKey): number {
  if (a.integer !== b.integer) {
    return compareValues(a.integer, b.integer);
  }
  const length = Math.max(a.fraction.length, b.fraction.length);
  return compareValues(a.fraction.padEnd(length, "0"), b.fraction.padEnd(length, "0"));
}

/** Ranks by tag name in code-point order (suits CalVer and timestamped tags). */
export function alphabeticalRanker(): Ranker<string> {
  return {
    best: "last tag in alphabetical order",
    compare: compareStrings,
    rank: (tag) => ({ key: tag.name }),
  };
}

/** Ranks by creation time as the registry reports it; tags without one are skipped. */
export function newestRanker(): Ranker<number> {
  return {
    best: "newest tag",
    compare: (a, b) => Math.sign(a - b),
    rank(tag) {
      const time = tag.createdAt?.getTime();
      return time === undefined ? { skip: "no creation time" } : { key: time };
    },
  };
}

export function compareStrings(a: string, b: string): number {
  return compareValues(a, b);
}
