/** A parsed payload: a pushed tag, or something to acknowledge and ignore. */
export type ParsedDelivery =
  | { kind: "push"; image: string; tag: string; digest: string | null }
  | { kind: "ignored"; reason: string };

export function ignored(reason: string): ParsedDelivery {
  return { kind: "ignored", reason };
}

const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Returns the digest when it is a well-formed sha256 digest, else null, since it is only a hint. */
export function digestOrNull(value: string | null | undefined): string | null {
  return value && SHA256_DIGEST.test(value) ? value : null;
}

/** Gitea and GitHub record manifests pushed by digest as versions named `sha256:…`. */
export function isDigestVersion(version: string): boolean {
  return version.startsWith("sha256:");
}
