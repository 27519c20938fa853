import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Computes the lowercase hex HMAC-SHA256 of `body` keyed by `secret`. */
export function hmacSha256Hex(secret: string, body: Uint8Array): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/**
 * Checks a hex HMAC-SHA256 signature over the exact bytes received, in constant time. `prefix`
 * is stripped first (`sha256=` for GitHub; Gitea and Forgejo send bare hex).
 */
export function verifyHmacSignature(
  secret: string,
  body: Uint8Array,
  header: string | undefined,
  prefix = "",
): boolean {
  if (!header?.startsWith(prefix)) {
    return false;
  }
  const received = Buffer.from(header.slice(prefix.length).trim().toLowerCase(), "utf8");
  const expected = Buffer.from(hmacSha256Hex(secret, body), "utf8");
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** Compares two secrets in constant time, whatever their lengths, by comparing their hashes. */
export function secretsEqual(received: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(received), digest(expected));
}
