import { parseDocument } from "yaml";
import type { z } from "zod";
import { type ConfigFile, configFileSchema } from "./schema.js";

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

  const result = configFileSchema.safeParse(toPlainValue(document, file) ?? {});
  if (!result.success) {
    throw new ConfigFileError(file, result.error.issues.map(describeIssue), {
      cause: result.error,
    });
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

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issueMessage(issue)}`;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_value") {
    return `expected one of ${issue.values.map(String).join(", ")}`;
  }
  if (issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options)) {
    return `expected one of ${issue.options.map(String).join(", ")}`;
  }
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  }
  return issue.message;
}

/** Returns the error's first line, without the position that `prettyErrors` appends to it. */
function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "");
}
