import { describe, expect, test } from "vitest";
import { readPullStream } from "../src/docker/pull-stream.js";
import { encodeRegistryAuth } from "../src/docker/registry-auth.js";

async function* chunks(...parts: string[]): AsyncIterable<Buffer> {
  for (const part of parts) {
    yield Buffer.from(part);
  }
}

const MISSING =
  "manifest for registry.example.test:5000/acme/app:1.4.0 not found: manifest unknown: manifest unknown";
const DIGEST = `sha256:${"c".repeat(64)}`;

describe("readPullStream", () => {
  test("error line after a 200 status is a failure", async () => {
    const outcome = await readPullStream(
      chunks(
        '{"status":"Pulling from acme/app","id":"1.4.0"}\n',
        `{"errorDetail":{"message":"${MISSING}"},"error":"${MISSING}"}\n`,
      ),
    );

    expect(outcome.error).toBe(MISSING);
  });

  test("error split across chunks mid-stream is a failure", async () => {
    const line = '{"error":"toomanyrequests: rate limit"}\n';
    const outcome = await readPullStream(
      chunks(
        '{"status":"Downloading","progressDetail":{"current":1,"total":9}}\n{"stat',
        'us":"Downloading","progressDetail":{"current":5,"total":9}}\n',
        line.slice(0, 12),
        line.slice(12),
        '{"status":"Download complete"}\n',
      ),
    );

    expect(outcome.error).toBe("toomanyrequests: rate limit");
    expect(outcome.lastStatus).toBe("Download complete");
  });

  test("successful stream records the digest", async () => {
    const outcome = await readPullStream(
      chunks(
        `{"status":"Digest: ${DIGEST}"}\n`,
        '{"status":"Status: Downloaded newer image for registry.example.test:5000/acme/app:1.4.0"}',
      ),
    );

    expect(outcome.error).toBeUndefined();
    expect(outcome.digest).toBe(DIGEST);
    expect(outcome.lastStatus).toMatch(/^Status: Downloaded newer image/);
  });

  test("unreadable line is a failure", async () => {
    const outcome = await readPullStream(chunks("<html>bad gateway</html>\n"));

    expect(outcome.error).toMatch(/unreadable line in the pull stream: <html>/);
  });
});

describe("encodeRegistryAuth", () => {
  test("keeps padding and uses the URL alphabet", () => {
    // This JSON is 67 bytes, so its base64 ends in "==", and "?>" encodes to a "/".
    const encoded = encodeRegistryAuth({
      username: "a?>x",
      password: "p",
      serverAddress: "127.0.0.1:5000",
    });

    expect(encoded).toMatch(/=$/);
    expect(encoded).not.toMatch(/[+/]/);
    const decoded = JSON.parse(Buffer.from(encoded, "base64url").toString()) as unknown;
    expect(decoded).toEqual({ username: "a?>x", password: "p", serveraddress: "127.0.0.1:5000" });
  });
});
