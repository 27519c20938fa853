/**
 * Checks of a tag pattern's text before picomatch compiles it. A Docker tag matches
 * `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` (the `tag` rule of Docker's image reference grammar),
 * so a pattern may contain those characters and glob syntax, and nothing else, because any
 * other character could never match.
 */

const MAX_PATTERN_LENGTH = 256;

const TAG_CHARACTER = /^[A-Za-z0-9_.-]$/;

/** Glob characters allowed anywhere outside a character class; `\` escapes the next one. */
const GLOB_CHARACTERS = new Set(["*", "?", "!", "@", "+", "|", "\\"]);

/** Characters a class such as `[^0-9]` or `[[:digit:]]` may contain besides tag characters. */
const CLASS_CHARACTERS = new Set(["!", "^", "-", ":", "[", "]"]);

const ALLOWED = "letters, digits, _, . and - plus the glob characters * ? [ ] { } ( ) ! @ + |";

/** Returns what is wrong with a trimmed pattern's text, or `undefined` when nothing is. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === "" || pattern === "!") {
    return "it is empty: leave the list empty to match every tag";
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `it is longer than ${MAX_PATTERN_LENGTH} characters`;
  }
  if (/\s/.test(pattern)) {
    return "tags contain no whitespace: split a list into separate patterns";
  }
  if (pattern.includes("/")) {
    return "tags contain no /: the repository goes in the image, not the tag pattern";
  }
  return syntaxProblem(pattern);
}

/**
 * Scans the pattern for unbalanced brackets, braces and parentheses and for characters that
 * no tag contains. A `,` is allowed only inside braces, where it separates `{alpine,slim}`.
 */
function syntaxProblem(pattern: string): string | undefined {
  const open: string[] = [];
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index] ?? "";
    if (character === "\\") {
      index += 1;
      continue;
    }
    if (character === "[") {
      const end = classEnd(pattern, index);
      if (end === undefined) {
        return `"[" at position ${index + 1} has no closing "]": close the class, e.g. [0-9]`;
      }
      const problem = classProblem(pattern.slice(index + 1, end));
      if (problem) {
        return problem;
      }
      index = end;
      continue;
    }

    const problem = groupProblem(character, open) ?? characterProblem(character, open);
    if (problem) {
      return problem;
    }
  }

  const unclosed = open.at(-1);
  return unclosed === undefined
    ? undefined
    : `"${unclosed}" has no closing "${CLOSING[unclosed]}": close the group`;
}

const CLOSING: Record<string, string> = { "{": "}", "(": ")" };
const OPENING: Record<string, string> = { "}": "{", ")": "(" };

/** Tracks `{` and `(` groups in `open`, and returns a problem for a closer with no opener. */
function groupProblem(character: string, open: string[]): string | undefined {
  if (character === "{" || character === "(") {
    open.push(character);
    return undefined;
  }
  const opener = OPENING[character];
  if (opener === undefined) {
    return undefined;
  }
  if (open.at(-1) !== opener) {
    return `"${character}" has no opening "${opener}": remove it or open the group`;
  }
  open.pop();
  return undefined;
}

function characterProblem(character: string, open: readonly string[]): string | undefined {
  if (
    TAG_CHARACTER.test(character) ||
    GLOB_CHARACTERS.has(character) ||
    "{}()".includes(character)
  ) {
    return undefined;
  }
  if (character === "," && open.includes("{")) {
    return undefined;
  }
  if (character === ",") {
    return 'tags contain no ",": give each pattern as its own list entry, or write {a,b} for alternatives';
  }
  if (character === "]") {
    return '"]" has no opening "[": remove it or open the class';
  }
  return `tags contain no "${character}": use ${ALLOWED}`;
}

/** Returns the index of the `]` that closes the class opened at `start`, skipping `[:digit:]`. */
function classEnd(pattern: string, start: number): number | undefined {
  for (let index = start + 1; index < pattern.length; index += 1) {
    if (pattern.startsWith("[:", index)) {
      const close = pattern.indexOf(":]", index + 2);
      if (close === -1) {
        return undefined;
      }
      index = close + 1;
      continue;
    }
    if (pattern[index] === "]") {
      return index;
    }
  }
  return undefined;
}

function classProblem(body: string): string | undefined {
  if (body === "") {
    return '"[]" is an empty class: list the characters it matches, e.g. [0-9]';
  }
  for (const character of body) {
    if (!TAG_CHARACTER.test(character) && !CLASS_CHARACTERS.has(character)) {
      return `tags contain no "${character}": a class such as [0-9] lists tag characters only`;
    }
  }
  return undefined;
}
