import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type CreateRegistryOptions, createRegistry, RegistryConfigError } from "../src/index.js";

/** A fixed seed makes a failure repeatable; creating a client sends no request. */
const RUNS = { seed: 20261204, numRuns: 300 };

const url = fc.oneof(
  fc.webUrl(),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    "file:///etc/passwd",
    "javascript:alert(1)",
    "ftp://127.0.0.1/",
    "gopher://127.0.0.1:70/",
    "http://user:password@127.0.0.1:5000",
    "//127.0.0.1:5000",
    "http://[::1",
  ),
);

const options = fc.record({
  type: fc.oneof(fc.constantFrom("oci", "gitea", "forgejo", "dockerhub", "ghcr"), fc.string()),
  url: fc.option(url, { nil: undefined }),
  timeoutMs: fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }),
  concurrency: fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
  maxPages: fc.option(fc.oneof(fc.integer(), fc.constant(Number.NaN)), { nil: undefined }),
});

describe("createRegistry fuzz", () => {
  test("only http(s) URLs make a client", async () => {
    await fc.assert(
      fc.asyncProperty(options, async (generated) => {
        let registry: ReturnType<typeof createRegistry> | undefined;
        try {
          registry = createRegistry(generated as CreateRegistryOptions);
        } catch (error) {
          expect(error).toBeInstanceOf(RegistryConfigError);
          return;
        }

        await registry.close();
        expect(registry.url).toMatch(/^https?:\/\//);
      }),
      RUNS,
    );
  });
});
