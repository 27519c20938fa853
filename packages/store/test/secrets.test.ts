import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  createSecrets,
  generateSecretKey,
  parseKeyring,
  parseSecretKey,
  readOrCreateKeyFile,
  SecretKeyError,
} from "../src/index.js";

const KEY_A = generateSecretKey();
const KEY_B = generateSecretKey();

describe("secret encryption", () => {
  test("round-trips a value with a version prefix", () => {
    const secrets = createSecrets(parseKeyring(KEY_A));

    const stored = secrets.encrypt("hunter2");

    expect(stored).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(stored).not.toContain("hunter2");
    expect(secrets.decrypt(stored)).toBe("hunter2");
  });

  test("uses a fresh nonce for every value", () => {
    const secrets = createSecrets(parseKeyring(KEY_A));

    expect(secrets.encrypt("same")).not.toBe(secrets.encrypt("same"));
  });

  test("rotated keyring reads old values and writes new ones", () => {
    const old = createSecrets(parseKeyring(KEY_A));
    const storedBefore = old.encrypt("token");
    const rotated = createSecrets(parseKeyring(`v2:${KEY_B},v1:${KEY_A}`));

    expect(rotated.decrypt(storedBefore)).toBe("token");
    expect(rotated.encrypt("token")).toMatch(/^v2:/);
  });

  test("wrong key fails instead of returning garbage", () => {
    const stored = createSecrets(parseKeyring(KEY_A)).encrypt("token");
    const other = createSecrets(parseKeyring(KEY_B));

    expect(() => other.decrypt(stored)).toThrow(SecretKeyError);
  });

  test("tampered value fails", () => {
    const secrets = createSecrets(parseKeyring(KEY_A));
    const stored = secrets.encrypt("token");
    const flipped = `${stored.slice(0, -3)}${stored.at(-3) === "A" ? "B" : "A"}${stored.slice(-2)}`;

    expect(() => secrets.decrypt(flipped)).toThrow(SecretKeyError);
  });

  test("value of an unlisted key version names the version", () => {
    const stored = createSecrets(parseKeyring(`v3:${KEY_A}`)).encrypt("token");

    expect(() => createSecrets(parseKeyring(KEY_A)).decrypt(stored)).toThrow(/key version 3/);
  });
});

describe("secret key parsing", () => {
  test("reads base64 and hex keys", () => {
    const bytes = Buffer.alloc(32, 7);

    expect(parseSecretKey(bytes.toString("base64"))).toEqual(bytes);
    expect(parseSecretKey(bytes.toString("hex"))).toEqual(bytes);
  });

  test.each([
    { name: "too short", value: "abc" },
    { name: "16 bytes of hex", value: "00".repeat(16) },
    { name: "48 bytes of base64", value: Buffer.alloc(48, 0xff).toString("base64") },
    { name: "a passphrase", value: "correct horse battery staple" },
  ])("rejects $name naming the expected format", ({ value }) => {
    const error = (() => {
      try {
        parseSecretKey(value);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(SecretKeyError);
    expect((error as Error).message).toContain("BERTH_SECRET_KEY");
    expect((error as Error).message).toContain("base64 (44 characters) or hex (64 characters)");
    expect((error as Error).message).not.toContain(value);
  });

  test("rejects a keyring entry without a version", () => {
    expect(() => parseKeyring(`v2:${KEY_B},${KEY_A}`)).toThrow(/entry 2 has no version prefix/);
  });

  test("rejects a keyring with a repeated version", () => {
    expect(() => parseKeyring(`v1:${KEY_B},v1:${KEY_A}`)).toThrow(/one key version twice/);
  });
});

describe("key file", () => {
  const folders: string[] = [];
  afterAll(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  test("is created once with mode 0600 and read back", async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), "berth-key-"));
    folders.push(folder);
    const file = path.join(folder, "data", "secret.key");

    const first = await readOrCreateKeyFile(file);
    const second = await readOrCreateKeyFile(file);

    expect(first.created).toBe(true);
    expect(second).toEqual({ key: first.key, created: false });
    expect(parseSecretKey(first.key)).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});
