/** One challenge of a `WWW-Authenticate` header. */
export interface AuthChallenge {
  /** Scheme as sent (`Bearer`, `Basic`); compare it case-insensitively. */
  scheme: string;
  /** Parameters with lower-case names and values as sent (`realm`, `service`, `scope`). */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;

/**
 * Parses a `WWW-Authenticate` value into its challenges (RFC 9110 section 11.6.1). Node's
 * `headers.get()` joins repeated headers with `", "`, so one value can hold several
 * challenges, as Gitea's `Bearer realm="…", Basic` does. Commas inside quoted values stay
 * (`scope="repository:acme/app:pull,push"`), and parameter values keep their case.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const reader = new Reader(header);
  const challenges: AuthChallenge[] = [];
  while (reader.skipSeparators()) {
    const scheme = reader.read(TOKEN);
    if (!scheme) {
      // Unparseable text: skip to the next comma and try again from there.
      reader.skipPast(",");
      continue;
    }
    challenges.push({ scheme, params: readParams(reader) });
  }
  return challenges;
}

function readParams(reader: Reader): Record<string, string> {
  const params: Record<string, string> = {};
  reader.skipSpaces();
  const start = reader.position;
  const token68 = reader.read(TOKEN68);
  if (token68 && !reader.peekIs("=") && reader.atParamEnd()) {
    params.token68 = token68;
    return params;
  }
  reader.position = start;

  for (;;) {
    const mark = reader.position;
    reader.skipSeparators();
    const name = reader.read(TOKEN);
    reader.skipSpaces();
    if (!name || !reader.consume("=")) {
      // Not a parameter, so a new challenge starts here.
      reader.position = mark;
      return params;
    }
    reader.skipSpaces();
    params[name.toLowerCase()] = reader.readQuoted() ?? reader.read(TOKEN) ?? "";
  }
}

/** A cursor over the header text. */
class Reader {
  position = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  /** Skips spaces and commas; returns whether text remains. */
  skipSeparators(): boolean {
    while (this.position < this.#text.length && /[\s,]/.test(this.#text[this.position] ?? "")) {
      this.position += 1;
    }
    return this.position < this.#text.length;
  }

  skipSpaces(): void {
    while (/[ \t]/.test(this.#text[this.position] ?? "")) {
      this.position += 1;
    }
  }

  skipPast(character: string): void {
    const index = this.#text.indexOf(character, this.position);
    this.position = index < 0 ? this.#text.length : index + 1;
  }

  read(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const match = pattern.exec(this.#text);
    if (!match) {
      return undefined;
    }
    this.position += match[0].length;
    return match[0];
  }

  readQuoted(): string | undefined {
    if (this.#text[this.position] !== '"') {
      return undefined;
    }
    let value = "";
    let index = this.position + 1;
    while (index < this.#text.length && this.#text[index] !== '"') {
      const character = this.#text[index] === "\\" ? this.#text[index + 1] : this.#text[index];
      value += character ?? "";
      index += this.#text[index] === "\\" ? 2 : 1;
    }
    this.position = Math.min(index + 1, this.#text.length);
    return value;
  }

  consume(character: string): boolean {
    if (this.#text[this.position] !== character) {
      return false;
    }
    this.position += 1;
    return true;
  }

  peekIs(character: string): boolean {
    return this.#text[this.position] === character;
  }

  /** Whether only spaces stand before a comma or the end. */
  atParamEnd(): boolean {
    const rest = this.#text.slice(this.position);
    return /^[ \t]*(,|$)/.test(rest);
  }
}
