import semver from "semver";
import { TagPolicyError } from "../config-errors.js";

/**
 * The rule a stage uses to pick its next tag. The `kind` names are stored in stage rows and written in
 * YAML files, so they never change.
 */
export type TagPolicy =
  | SemverPolicy
  | NumericPolicy
  | { kind: "alphabetical" }
  | { kind: "newest" }
  | { kind: "digest" };

export interface SemverPolicy {
  kind: "semver";
  /** A node-semver range such as `^1.2`, `>=1.0 <2`, `1.x`. */
  range?: string;
  /** Default `false`: pre-releases (`1.0.1-rc.1`, `3.8.0b1`) are skipped. */
  allowPrerelease?: boolean;
}

export interface NumericPolicy {
  kind: "numeric";
  /** A regular expression with one capture group that takes the number from the tag. */
  extract?: string;
}

export const TAG_POLICY_KINDS = ["semver", "numeric", "alphabetical", "newest", "digest"] as const;

/**
 * Checks a policy read from a stage row, a YAML file or a request, and returns it typed.
 *
 * @throws TagPolicyError naming the field, the value and the accepted values.
 */
export function parseTagPolicy(value: unknown): TagPolicy {
  if (typeof value !== "object" || value === null) {
    throw new TagPolicyError(
      "policy",
      `policy must be an object with a kind, got ${describe(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  const kind = record.kind;
  switch (kind) {
    case "semver":
      return parseSemverPolicy(record);
    case "numeric":
      return parseNumericPolicy(record);
    case "alphabetical":
    case "newest":
    case "digest":
      return { kind };
    default:
      throw new TagPolicyError(
        "policy.kind",
        `unknown policy kind ${describe(kind)}: use one of ${TAG_POLICY_KINDS.join(", ")}`,
      );
  }
}

function parseSemverPolicy(record: Record<string, unknown>): SemverPolicy {
  const policy: SemverPolicy = { kind: "semver" };
  const { range, allowPrerelease } = record;
  if (range !== undefined && range !== null && range !== "") {
    if (typeof range !== "string" || semver.validRange(range) === null) {
      throw new TagPolicyError(
        "policy.range",
        `invalid semver range ${describe(range)}: write e.g. ^1.2, ~1.4.0, >=1.0 <2 or 1.x`,
      );
    }
    policy.range = range;
  }
  if (allowPrerelease !== undefined) {
    if (typeof allowPrerelease !== "boolean") {
      throw new TagPolicyError(
        "policy.allowPrerelease",
        `allowPrerelease must be true or false, got ${describe(allowPrerelease)}`,
      );
    }
    policy.allowPrerelease = allowPrerelease;
  }
  return policy;
}

function parseNumericPolicy(record: Record<string, unknown>): NumericPolicy {
  const { extract } = record;
  if (extract === undefined || extract === null || extract === "") {
    return { kind: "numeric" };
  }
  if (typeof extract !== "string") {
    throw new TagPolicyError(
      "policy.extract",
      `extract must be a string, got ${describe(extract)}`,
    );
  }
  compileExtract(extract);
  return { kind: "numeric", extract };
}

/**
 * Compiles a numeric policy's `extract` expression.
 *
 * @throws TagPolicyError when it is not a regular expression or has other than one capture group.
 */
export function compileExtract(extract: string): RegExp {
  let regex: RegExp;
  try {
    regex = new RegExp(extract);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new TagPolicyError(
      "policy.extract",
      `invalid extract expression "${extract}": ${detail}`,
    );
  }

  // An alternation with the empty string always matches, so the match length counts the groups.
  const groups = (new RegExp(`${extract}|`).exec("")?.length ?? 1) - 1;
  if (groups !== 1) {
    throw new TagPolicyError(
      "policy.extract",
      `extract expression "${extract}" has ${groups} capture groups: use exactly one, e.g. ^build-(\\d+)$`,
    );
  }
  return regex;
}

function describe(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : String(JSON.stringify(value) ?? value);
}
