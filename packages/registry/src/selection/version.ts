/**
 * A version read from a tag: `v1.2.3`, `3.8.0b1-alpine3.10`, `1.2.3.4`, `v2.3.0-rc.0.18.g1ab-ppc64le`.
 */
export interface TagVersion {
  /**
   * Numeric parts: numbers, or bigints for parts of more than 15 digits, so numbers beyond
   * 2^53 still compare exactly (`<` and `>` compare numbers with bigints exactly).
   */
  parts: (number | bigint)[];
  /** Pre-release identifiers (`["rc", "1"]`), empty for a release. */
  prerelease: string[];
  /** Variant suffix in lower case (`alpine3.10`, `slim`), empty when there is none. */
  variant: string;
}

/** Pre-release markers glued to the number, Python style: `3.8.0b1`, `3.9.0rc1`, `1.0a2`. */
const GLUED_PRERELEASE = /^(a|b|c|rc|alpha|beta|pre|preview|dev)(\d*)(?=$|-)/i;

/**
 * An identifier that starts a pre-release after `-`: a number (`1.0.1-64.272fa09`) or a
 * common pre-release word with optional digits (`rc.1`, `beta2`). Any other word starts a
 * variant (`-alpine3.10`, `-slim`), which node-semver would wrongly read as a pre-release.
 */
const PRERELEASE_IDENTIFIER =
  /^(?:\d+|(?:a|b|m|rc|cr|ea|alpha|beta|pre|preview|dev|snapshot|nightly|canary|next|milestone|insiders|unstable|experimental)\d*)$/i;

/** Parses a tag as a version, or returns `undefined` when it is not one (`latest`, `sha-1ab`). */
export function parseTagVersion(text: string): TagVersion | undefined {
  // Read the numeric parts by hand: selection parses every tag, and registries can list
  // 100,000 of them, so a regular expression and split here cost too much.
  let index = text.charCodeAt(0) === 118 || text.charCodeAt(0) === 86 ? 1 : 0;
  if (!isDigit(text.charCodeAt(index))) {
    return undefined;
  }
  const parts: (number | bigint)[] = [];
  for (;;) {
    const start = index;
    while (isDigit(text.charCodeAt(index))) {
      index += 1;
    }
    parts.push(toPart(text.slice(start, index)));
    if (text.charCodeAt(index) !== 46 || !isDigit(text.charCodeAt(index + 1))) {
      break;
    }
    index += 1;
  }
  let rest = text.slice(index);

  const glued = GLUED_PRERELEASE.exec(rest);
  if (glued) {
    const prerelease = [(glued[1] ?? "").toLowerCase(), ...(glued[2] ? [glued[2]] : [])];
    rest = rest.slice(glued[0].length);
    const variant = rest === "" ? "" : rest.slice(1).toLowerCase();
    return { parts, prerelease, variant };
  }
  if (rest === "") {
    return { parts, prerelease: [], variant: "" };
  }
  if (!rest.startsWith("-") || rest.length === 1) {
    return undefined;
  }

  const segments = rest.slice(1).split("-");
  const first = segments[0] ?? "";
  const firstIdentifier = first.split(".")[0] ?? "";
  if (!PRERELEASE_IDENTIFIER.test(firstIdentifier)) {
    return { parts, prerelease: [], variant: rest.slice(1).toLowerCase() };
  }
  return {
    parts,
    prerelease: first.split("."),
    variant: segments.slice(1).join("-").toLowerCase(),
  };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function toPart(digits: string): number | bigint {
  return digits.length <= 15 ? Number(digits) : BigInt(digits);
}

/** Orders two versions: numeric parts one by one (missing parts count as 0), then pre-release. */
export function compareVersions(a: TagVersion, b: TagVersion): number {
  const length = Math.max(a.parts.length, b.parts.length);
  for (let index = 0; index < length; index += 1) {
    const order = compareValues(a.parts[index] ?? 0, b.parts[index] ?? 0);
    if (order !== 0) {
      return order;
    }
  }
  return comparePrerelease(a.prerelease, b.prerelease);
}

/** Semver 2.0 precedence: a release ranks above its pre-releases; identifiers compare in turn. */
function comparePrerelease(a: string[], b: string[]): number {
  if (a.length === 0 && b.length === 0) {
    return 0;
  }
  if (a.length === 0 || b.length === 0) {
    return a.length === 0 ? 1 : -1;
  }
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const order = compareIdentifier(a[index] ?? "", b[index] ?? "");
    if (order !== 0) {
      return order;
    }
  }
  return Math.sign(a.length - b.length);
}

function compareIdentifier(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) {
    return compareValues(toPart(a), toPart(b));
  }
  if (aNumeric !== bNumeric) {
    return aNumeric ? -1 : 1;
  }
  return compareValues(a, b);
}

/** Orders two numbers or bigints (mixed is fine), or two strings by code point: -1, 0 or 1. */
export function compareValues(a: number | bigint | string, b: number | bigint | string): number {
  if (a < b) {
    return -1;
  }
  return a > b ? 1 : 0;
}

/**
 * Writes the version as a three-part semver string for range checks: parts beyond the third
 * are dropped, missing ones are 0, and pre-release identifiers are made valid for semver.
 */
export function toSemverString(version: TagVersion): string {
  const [major = 0, minor = 0, patch = 0] = version.parts;
  const core = `${major}.${minor}.${patch}`;
  if (version.prerelease.length === 0) {
    return core;
  }
  const identifiers = version.prerelease.map((identifier) =>
    /^\d+$/.test(identifier)
      ? toPart(identifier).toString()
      : identifier.replace(/[^0-9A-Za-z-]/g, "-"),
  );
  return `${core}-${identifiers.join(".")}`;
}
