/**
 * Secret encryption: AES-256-GCM with a random 12-byte nonce per value. A stored value reads
 * `v<version>:` followed by base64 of nonce | ciphertext | 16-byte tag, so a keyring of
 * several key versions can decrypt old values while the newest version encrypts new ones.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VALUE_PATTERN = /^v([1-9][0-9]*):([A-Za-z0-9+/]+={0,2})$/;
const EXPECTED_KEY_FORMAT =
  "32 random bytes as base64 (44 characters) or hex (64 characters), e.g. from `openssl rand -base64 32`";

/** A secret key that is malformed, missing from the keyring, or does not match the data. */
export class SecretKeyError extends Error {
  override readonly name = "SecretKeyError";
}

/** Encrypts and decrypts the values of `*_encrypted` columns. */
export interface Secrets {
  encrypt(plain: string): string;
  /** Throws `SecretKeyError` when no key of the keyring opens the value. */
  decrypt(stored: string): string;
  /** Checks whether a stored value is encrypted with the newest key version. */
  isCurrent(stored: string): boolean;
}

export interface SecretKey {
  version: number;
  key: Buffer;
}

/**
 * Parses one key: 32 bytes as base64 or hex. The message never repeats the value, because
 * it is a secret even when malformed.
 */
export function parseSecretKey(text: string, source = "BERTH_SECRET_KEY"): Buffer {
  const trimmed = text.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    key = Buffer.from(trimmed, "hex");
  } else if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) {
    key = Buffer.from(trimmed, "base64");
  }
  if (key?.length !== KEY_BYTES) {
    throw new SecretKeyError(
      `${source} is not a valid key (${trimmed.length} characters): expected ${EXPECTED_KEY_FORMAT}`,
    );
  }
  return key;
}

/**
 * Parses a keyring: one key (version 1), or a comma-separated list `v2:KEY,v1:KEY` during a
 * rotation. The highest version encrypts; every listed version decrypts.
 */
export function parseKeyring(text: string, source = "BERTH_SECRET_KEY"): SecretKey[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length === 1 && !/^v[0-9]+:/.test(parts[0] ?? "")) {
    return [{ version: 1, key: parseSecretKey(text, source) }];
  }

  const keys = parts.map((part, index) => {
    const match = /^v([1-9][0-9]*):(.*)$/.exec(part);
    if (!match) {
      throw new SecretKeyError(
        `${source} entry ${index + 1} has no version prefix: expected v<number>:KEY, e.g. v2:KEY,v1:OLDKEY`,
      );
    }
    return {
      version: Number(match[1]),
      key: parseSecretKey(match[2] ?? "", `${source} v${match[1]}`),
    };
  });
  const versions = new Set(keys.map((key) => key.version));
  if (versions.size !== keys.length) {
    throw new SecretKeyError(
      `${source} lists one key version twice: give each key its own version`,
    );
  }
  return keys;
}

/** Returns a fresh key in the base64 form that `parseSecretKey` reads. */
export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

/** Builds the encrypter over a keyring; the highest version encrypts. */
export function createSecrets(keyring: readonly SecretKey[]): Secrets {
  const newest = [...keyring].sort((a, b) => b.version - a.version)[0];
  if (!newest) {
    throw new SecretKeyError("the secret keyring is empty: give BERTH_SECRET_KEY a key");
  }
  const byVersion = new Map(keyring.map((entry) => [entry.version, entry.key]));

  return {
    encrypt(plain) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv(ALGORITHM, newest.key, nonce);
      const ciphertext = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      const payload = Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]);
      return `v${newest.version}:${payload.toString("base64")}`;
    },
    decrypt(stored) {
      const match = VALUE_PATTERN.exec(stored);
      if (!match) {
        throw new SecretKeyError("an encrypted value is malformed: expected v<version>:<base64>");
      }
      const version = Number(match[1]);
      const key = byVersion.get(version);
      if (!key) {
        throw new SecretKeyError(
          `a value is encrypted with key version ${version}, which BERTH_SECRET_KEY does not list`,
        );
      }
      return open(key, Buffer.from(match[2] ?? "", "base64"), version);
    },
    isCurrent(stored) {
      return stored.startsWith(`v${newest.version}:`);
    },
  };
}

function open(key: Buffer, payload: Buffer, version: number): string {
  if (payload.length < NONCE_BYTES + TAG_BYTES) {
    throw new SecretKeyError(`an encrypted value (key version ${version}) is truncated`);
  }
  const nonce = payload.subarray(0, NONCE_BYTES);
  const tag = payload.subarray(payload.length - TAG_BYTES);
  const ciphertext = payload.subarray(NONCE_BYTES, payload.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch (error) {
    // GCM's tag check fails for a different key and for tampered data alike.
    throw new SecretKeyError(`key version ${version} does not open an encrypted value`, {
      cause: error,
    });
  }
}

/**
 * Reads the key file of the embedded default, or creates it with a fresh key and mode 0600.
 * `created` is true when this call wrote the file, so the caller can log it.
 */
export async function readOrCreateKeyFile(
  file: string,
): Promise<{ key: string; created: boolean }> {
  try {
    return { key: (await readFile(file, "utf8")).trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw error;
    }
  }

  await mkdir(path.dirname(file), { recursive: true });
  const key = generateSecretKey();
  // `wx` fails if another process created the file meanwhile, instead of overwriting its key.
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  await chmod(file, 0o600);
  return { key, created: true };
}
