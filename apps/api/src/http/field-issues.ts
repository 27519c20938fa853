/**
 * Turns zod issues into field issues whose messages name the value received and the accepted
 * values. Zod's built-in texts ("Invalid option: expected one of …") omit the value, so they
 * are rewritten. A message a schema wrote itself is kept, with the value added when missing.
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
  if (!isBuiltInMessage(issue, received.value)) {
    return withValue(issue.message, received.value, issue.path);
  }
  const expectation = expectationOf(issue, received.value);
  if (expectation === undefined) {
    return issue.message;
  }
  if (received.value === undefined) {
    return `missing: ${expectation}`;
  }
  const got =
    issue.code === "too_small" || issue.code === "too_big"
      ? describeSize(received.value, issue.path)
      : describeValue(received.value, issue.path);
  return `${expectation}, got ${got}`;
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
