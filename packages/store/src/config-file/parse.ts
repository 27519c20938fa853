import { parseDocument } from "yaml";
import type { z } from "zod";
import { type ConfigFile, configFileSchema } from "./schema.js";

/** Maximum length of a value quoted in a message; a longer one is cut and ends in "…". */
const MAX_QUOTED_LENGTH = 60;

/** A configuration file that cannot be imported; the message names the file and the path in it. */
export class ConfigFileError extends Error {
  override readonly name = "ConfigFileError";
  /** One line per problem, each `path: what is wrong`. */
  readonly problems: string[];

  constructor(file: string, problems: string[], options?: { cause?: unknown }) {
    super(`${file} is invalid: ${problems.join("; ")}`, options);
    this.problems = problems;
  }
}

/** Parses and validates a configuration file's text; `file` is only used in messages. */
export function parseConfigFile(text: string, file: string): ConfigFile {
  const document = parseDocument(text, { prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    const position = yamlError.linePos?.[0];
    const where = position ? `line ${position.line}, column ${position.col}` : "unknown position";
    throw new ConfigFileError(
      file,
      [`YAML syntax error at ${where}: ${firstLine(yamlError.message)}`],
      {
        cause: yamlError,
      },
    );
  }

  const value = toPlainValue(document, file);
  if (value === null || value === undefined) {
    // An empty file, one with only comments and one that is only `~` all parse to null. Each
    // is more likely the wrong file than a wish to import nothing.
    throw new ConfigFileError(file, [
      "the file is empty or contains only comments: add settings, registries or projects, e.g. from `berth export`",
    ]);
  }

  const result = configFileSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => describeIssue(issue, value));
    throw new ConfigFileError(file, problems, { cause: result.error });
  }
  return result.data;
}

/**
 * Converts the YAML document to plain values. The yaml library throws a ReferenceError when
 * aliases expand beyond its limit (the "billion laughs" file), which becomes a ConfigFileError.
 */
function toPlainValue(document: ReturnType<typeof parseDocument>, file: string): unknown {
  try {
    return document.toJS();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigFileError(
      file,
      [
        `YAML cannot be expanded: ${firstLine(reason)}; write the values out instead of nesting aliases`,
      ],
      { cause: error },
    );
  }
}

/** `projects[0].stages[1].policy.kind`: the path as a person finds it in the file. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") {
      text += `[${key}]`;
    } else {
      text += text ? `.${String(key)}` : String(key);
    }
  }
  return text || "(top level)";
}

/** `document` is the parsed file, in which the value at the issue's path is looked up. */
function describeIssue(issue: z.core.$ZodIssue, document: unknown): string {
  return `${formatPath(issue.path)}: ${issueMessage(issue, valueAt(document, issue.path))}`;
}

function issueMessage(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === "invalid_value") {
    return withReceived(`expected one of ${issue.values.map(String).join(", ")}`, value);
  }
  if (issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options)) {
    return withReceived(`expected one of ${issue.options.map(String).join(", ")}`, value);
  }
  if (issue.code === "invalid_type" && value === undefined) {
    return `required, but missing: expected ${issue.expected}`;
  }
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  }
  return issue.message;
}

/** Adds the value found, e.g. `got "latest"`, or reports the key as missing. */
function withReceived(expectation: string, value: unknown): string {
  if (value === undefined) {
    return `required, but missing: ${expectation}`;
  }
  if (typeof value === "object" && value !== null) {
    return `${expectation}, got ${Array.isArray(value) ? "a list" : "a mapping"}`;
  }
  const text = JSON.stringify(value) ?? String(value);
  const cut = text.length > MAX_QUOTED_LENGTH ? `${text.slice(0, MAX_QUOTED_LENGTH)}…` : text;
  return `${expectation}, got ${cut}`;
}

/** Follows `path` into the parsed file; a key that is not there gives `undefined`. */
function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let current = document;
  for (const key of path) {
    if (current === null || typeof current !== "object") {
      return undefined;
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Returns the error's first line, without the position that `prettyErrors` appends to it. */
function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}
