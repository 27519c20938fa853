/**
 * Turns zod issues into field issues whose messages name the value received and the accepted
 * values. Zod's built-in texts ("Invalid option: expected one of …") omit the value, so they
 * are rewritten. A message a schema wrote itself is kept, with the value added when missing.
 * A missing field is reported as required, and an unrecognized key with the accepted keys.
 */
import { z } from "zod";

/** One field that failed validation: its dotted path and what is wrong with it. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The value at an issue's path: `found` is false when no input was given to look in. */
type Received = { found: true; value: unknown } | { found: false };

/** Field names whose values are never quoted back, e.g. `password` or `token`. */
const SECRET_FIELD = /password|secret|token/i;

/** Maximum length of a quoted string value; a longer one is cut and ends in "…". */
const MAX_QUOTED_LENGTH = 60;

/** Maximum unrecognized keys quoted in one message; the rest are counted. */
const MAX_QUOTED_KEYS = 5;

/** Maximum accepted keys suggested for one unrecognized key. */
const MAX_SUGGESTIONS = 3;

/** Issue codes zod raises for a missing value: a type, option or union that got `undefined`. */
const MISSING_VALUE_CODES: ReadonlySet<string> = new Set([
  "invalid_type",
  "invalid_value",
  "invalid_union",
]);

// Zod's message for an unrecognized key names only the key, and the object schema, which lists
// the accepted keys, is reachable only while zod builds the message. So this error map is
// installed for the whole process. It answers only `unrecognized_keys` issues and leaves every
// other message to the schema or zod's locale.
z.config({ customError: unrecognizedKeysMessage });

/**
 * Lists zod issues as field paths and messages, e.g. `{ path: "scope", message: 'expected one
 * of "read", "deploy", "admin", got "write"' }`. `input` is the value that was validated.
 * Without it, zod's own messages are kept.
 */
export function fieldIssues(error: z.ZodError, input?: unknown): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(body)",
    message: issueMessage(issue, receivedAt(input, issue.path)),
  }));
}

function issueMessage(issue: z.core.$ZodIssue, received: Received): string {
  if (!received.found) {
    return issue.message;
  }
  if (received.value === undefined && MISSING_VALUE_CODES.has(issue.code)) {
    return missingMessage(issue);
  }
  if (!isBuiltInMessage(issue, received.value)) {
    return withValue(issue.message, received.value, issue.path);
  }
  const expectation = expectationOf(issue, received.value);
  if (expectation === undefined) {
    return issue.message;
  }
  const got =
    issue.code === "too_small" || issue.code === "too_big"
      ? describeSize(received.value, issue.path)
      : describeValue(received.value, issue.path);
  return `${expectation}, got ${got}`;
}

/**
 * Writes the message for a missing field, `required, but missing: …`. A schema's own message
 * is kept as it is when it mentions "required", and used as the expectation unless it quotes
 * the missing value. A text such as "invalid URL undefined" was written for a value that was
 * sent, so zod's expectation replaces it.
 */
function missingMessage(issue: z.core.$ZodIssue): string {
  if (/\brequired\b/i.test(issue.message)) {
    return issue.message;
  }
  const ownMessage = !isBuiltInMessage(issue, undefined) && !issue.message.includes("undefined");
  const expectation = ownMessage ? issue.message : expectationOf(issue, undefined);
  return expectation === undefined
    ? "required, but missing"
    : `required, but missing: ${expectation}`;
}

/**
 * Writes the message for keys an object schema does not accept, e.g. `unrecognized key "npm":
 * did you mean "npmUrl"? The accepted keys are …`. Returns undefined for every other issue.
 */
function unrecognizedKeysMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "unrecognized_keys") {
    return undefined;
  }
  const shape = (issue.inst as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def
    ?.shape;
  if (shape === null || typeof shape !== "object") {
    return undefined;
  }
  const accepted = Object.keys(shape);
  const keys = issue.keys;

  const quoted = keys.slice(0, MAX_QUOTED_KEYS).map(quoteKey);
  const more = keys.length > MAX_QUOTED_KEYS ? ` and ${keys.length - MAX_QUOTED_KEYS} more` : "";
  const noun = keys.length === 1 ? "key" : "keys";
  const unrecognized = `unrecognized ${noun} ${quoted.join(", ")}${more}`;
  const acceptedList = accepted.map(quoteKey).join(", ");

  // Only the quoted keys get suggestions, which bounds the work for a body of many keys.
  const suggestions = [
    ...new Set(keys.slice(0, MAX_QUOTED_KEYS).flatMap((key) => closeMatches(key, accepted))),
  ];
  if (suggestions.length === 0) {
    return `${unrecognized}: the accepted keys are ${acceptedList}`;
  }
  return `${unrecognized}: did you mean ${orList(suggestions.map(quoteKey))}? The accepted keys are ${acceptedList}`;
}

/**
 * Returns the names in `candidates` that `name` is likely a misspelling of, closest first.
 * A candidate matches when it contains `name` (`npm` in `npmUrl`, `domain` in `baseDomain`),
 * when `name` starts with it (`npmUrlHttps`), or when they differ by few edits: 1 for names
 * up to 4 characters, 2 for longer ones. Case is ignored, and parts need 3 characters.
 */
function closeMatches(name: string, candidates: readonly string[]): string[] {
  if (name.length > MAX_QUOTED_LENGTH) {
    return [];
  }
  const lowerName = name.toLowerCase();
  const maxDistance = lowerName.length <= 4 ? 1 : 2;
  const scored: Array<{ candidate: string; distance: number }> = [];
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(lowerName, lower);
    const isPart =
      lowerName.length >= 3 &&
      lower.length >= 3 &&
      (lower.includes(lowerName) || lowerName.startsWith(lower));
    if (distance <= maxDistance || isPart) {
      scored.push({ candidate, distance });
    }
  }
  return scored
    .sort((left, right) => left.distance - right.distance)
    .slice(0, MAX_SUGGESTIONS)
    .map((entry) => entry.candidate);
}

/** Levenshtein distance: the insertions, deletions and substitutions that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function quoteKey(key: string): string {
  return JSON.stringify(
    key.length > MAX_QUOTED_LENGTH ? `${key.slice(0, MAX_QUOTED_LENGTH)}…` : key,
  );
}

/** Joins `["a", "b", "c"]` as `a, b or c`. */
function orList(items: readonly string[]): string {
  if (items.length <= 1) {
    return items.join("");
  }
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** Rewrites zod's text as "expected …"; undefined keeps zod's message as it is. */
function expectationOf(issue: z.core.$ZodIssue, value: unknown): string | undefined {
  switch (issue.code) {
    case "invalid_value":
      return `expected ${listValues(issue.values)}`;
    case "invalid_union":
      return unionExpectation(issue);
    case "invalid_type":
      return `expected ${issue.expected}`;
    case "unrecognized_keys":
    case "invalid_key":
    case "invalid_element":
      // These name the keys or the collection, and the value is an object or a map.
      return undefined;
    default:
      return value === undefined ? undefined : withoutPrefix(issue.message);
  }
}

/**
 * Adds the value received to a message the schema wrote, unless the message already quotes it.
 * Missing values, objects and arrays are left out, because a check on a whole object (a
 * refinement) would only add "got an object".
 */
function withValue(message: string, value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined || (typeof value === "object" && value !== null)) {
    return message;
  }
  const got = describeValue(value, path);
  return message.includes(got) ? message : `${message}, got ${got}`;
}

/**
 * Checks whether zod wrote the message from its locale rather than the schema from an `error`
 * option, by rebuilding the locale text for the same issue and value.
 */
function isBuiltInMessage(issue: z.core.$ZodIssue, value: unknown): boolean {
  const localeError = z.config().localeError;
  if (!localeError) {
    return false;
  }
  const built = localeError({ ...issue, input: value } as z.core.$ZodRawIssue);
  const text = typeof built === "string" ? built : built?.message;
  return text === issue.message;
}

/** A discriminated union names its options; a plain union names the types it tried. */
function unionExpectation(issue: z.core.$ZodIssueInvalidUnion): string {
  const options = (issue as { options?: unknown }).options;
  if (Array.isArray(options) && options.length > 0) {
    return `expected ${listValues(options)}`;
  }
  const expected = issue.errors.flatMap((branch) =>
    branch.flatMap((nested) =>
      nested.code === "invalid_type" && nested.path.length === 0 ? [nested.expected] : [],
    ),
  );
  if (expected.length === issue.errors.length && expected.length > 0) {
    return `expected ${expected.join(" or ")}`;
  }
  return "invalid input";
}

/** Follows `path` into the validated input; a missing key is found with the value `undefined`. */
function receivedAt(input: unknown, path: readonly PropertyKey[]): Received {
  if (input === undefined) {
    return { found: false };
  }
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") {
      return { found: true, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

function listValues(values: readonly unknown[]): string {
  const quoted = values.map((value) => JSON.stringify(value) ?? String(value));
  return quoted.length === 1 ? (quoted[0] ?? "") : `one of ${quoted.join(", ")}`;
}

/** Quotes a value for a message: strings in JSON quotes, objects and arrays by kind only. */
function describeValue(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) {
    return "nothing";
  }
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  if (typeof value === "object") {
    return "an object";
  }
  if (typeof value === "string") {
    if (isSecretField(path)) {
      return `a string of ${value.length} characters`;
    }
    const cut = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
    return JSON.stringify(cut);
  }
  if (isSecretField(path)) {
    return `a ${typeof value}`;
  }
  return String(value);
}

/** Gives the length of strings and arrays, which is what a size limit compares. */
function describeSize(value: unknown, path: readonly PropertyKey[]): string {
  if (typeof value === "string") {
    return `${value.length} characters`;
  }
  if (Array.isArray(value)) {
    return `${value.length} items`;
  }
  return describeValue(value, path);
}

function isSecretField(path: readonly PropertyKey[]): boolean {
  return path.some((key) => typeof key === "string" && SECRET_FIELD.test(key));
}

/** Drops zod's leading "Too small: " or "Invalid input: ", so the rest reads as a clause. */
function withoutPrefix(message: string): string {
  const clause = message.replace(/^[A-Z][a-z]+ [a-z]+: /, "");
  return clause.charAt(0).toLowerCase() + clause.slice(1);
}
