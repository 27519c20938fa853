import { describe, expect, test } from "vitest";
import {
  createRegistry,
  nextLink,
  parseRateLimit,
  parseWwwAuthenticate,
  RegistryConfigError,
  retryAfterSeconds,
} from "../src/index.js";

describe("parseWwwAuthenticate", () => {
  test("bearer with comma inside quoted scope", () => {
    const challenges = parseWwwAuthenticate(
      'Bearer realm="https://auth.example.test/token",service="registry.example.test",scope="repository:acme/app:pull,push"',
    );

    expect(challenges).toEqual([
      {
        scheme: "Bearer",
        params: {
          realm: "https://auth.example.test/token",
          service: "registry.example.test",
          scope: "repository:acme/app:pull,push",
        },
      },
    ]);
  });

  test("bearer with realm only", () => {
    expect(parseWwwAuthenticate('Bearer realm="https://registry.example.test/v2/token"')).toEqual([
      { scheme: "Bearer", params: { realm: "https://registry.example.test/v2/token" } },
    ]);
  });

  test("joined bearer and bare basic", () => {
    const challenges = parseWwwAuthenticate(
      'Bearer realm="https://gitea.example.test/v2/token", Basic',
    );

    expect(challenges).toEqual([
      { scheme: "Bearer", params: { realm: "https://gitea.example.test/v2/token" } },
      { scheme: "Basic", params: {} },
    ]);
  });

  test("gitea service and star scope kept as sent", () => {
    const [challenge] = parseWwwAuthenticate(
      'Bearer realm="https://gitea.example.test/v2/token",service="container_registry",scope="*"',
    );

    expect(challenge?.params.service).toBe("container_registry");
    expect(challenge?.params.scope).toBe("*");
  });

  test("basic with realm", () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([
      { scheme: "Basic", params: { realm: "Registry Realm" } },
    ]);
  });

  test("keeps realm case and lowers parameter names", () => {
    const [challenge] = parseWwwAuthenticate('bearer Realm="https://Auth.Example.test/Token"');

    expect(challenge?.scheme).toBe("bearer");
    expect(challenge?.params.realm).toBe("https://Auth.Example.test/Token");
  });

  test("several bearer scopes separated by spaces", () => {
    const [challenge] = parseWwwAuthenticate(
      'Bearer realm="r",scope="repository:a:pull repository:b:pull"',
    );

    expect(challenge?.params.scope).toBe("repository:a:pull repository:b:pull");
  });

  test("token68 and unquoted values", () => {
    expect(parseWwwAuthenticate("Negotiate abc123==, Bearer realm=plain")).toEqual([
      { scheme: "Negotiate", params: { token68: "abc123==" } },
      { scheme: "Bearer", params: { realm: "plain" } },
    ]);
  });

  test.each(["", "   ", ",,,", '"oops"'])("empty or junk %j gives no challenge", (header) => {
    expect(parseWwwAuthenticate(header)).toEqual([]);
  });
});

describe("nextLink", () => {
  const page = "http://127.0.0.1:5000/v2/acme/app/tags/list?n=2";

  test.each([
    [
      '</v2/acme/app/tags/list?n=2&last=b>; rel="next"',
      "http://127.0.0.1:5000/v2/acme/app/tags/list?n=2&last=b",
    ],
    [
      '<http://other.example.test/v2/x?token=Zm9v%3D>; rel="next"',
      "http://other.example.test/v2/x?token=Zm9v%3D",
    ],
    ["<?n=2&last=b>; rel=next", "http://127.0.0.1:5000/v2/acme/app/tags/list?n=2&last=b"],
    [
      '<https://a.test/?page=1>; rel="first", <https://a.test/?page=3>; rel="next"',
      "https://a.test/?page=3",
    ],
    ['<https://a.test/?page=9>; rel="last"', undefined],
    ["", undefined],
  ])("reads %j", (header, expected) => {
    expect(nextLink(header, page)).toBe(expected);
  });
});

describe("rate limit headers", () => {
  test("reads count and window", () => {
    const headers = new Headers({
      "ratelimit-limit": "100;w=21600",
      "ratelimit-remaining": "20;w=21600",
    });

    expect(parseRateLimit(headers)).toEqual({ limit: 100, remaining: 20, windowSeconds: 21600 });
  });

  test("no headers means no limit", () => {
    expect(parseRateLimit(new Headers())).toBeUndefined();
  });

  test.each([
    [{ "retry-after": "120" }, 120],
    [{ "retry-after": "999999" }, 3600],
    [{ "retry-after": new Date(Date.UTC(2026, 0, 1, 0, 1, 30)).toUTCString() }, 90],
    [{ "x-retry-after": String(Date.UTC(2026, 0, 1, 0, 0, 45) / 1000) }, 45],
  ])("retry after %j is %i s", (headers, expected) => {
    expect(retryAfterSeconds(new Headers(headers), Date.UTC(2026, 0, 1), () => 0)).toBe(expected);
  });

  test.each([{}, { "retry-after": "0" }, { "retry-after": "soon" }])(
    "missing or zero %j still backs off",
    (headers) => {
      const low = retryAfterSeconds(new Headers(headers), 0, () => 0);
      const high = retryAfterSeconds(new Headers(headers), 0, () => 0.999);

      expect(low).toBe(30);
      expect(high).toBe(45);
    },
  );
});

describe("createRegistry options", () => {
  test.each([
    [
      { type: "quay" },
      "type",
      'unknown registry type "quay": use one of gitea, forgejo, oci, dockerhub, ghcr',
    ],
    [
      { type: "oci" },
      "url",
      "registry type oci needs a url, e.g. http://127.0.0.1:5000 or https://gitea.example.test",
    ],
    [
      { type: "oci", url: "registry.example.test" },
      "url",
      'registry url "registry.example.test" is not a URL: write it with its scheme, e.g. https://registry.example.test',
    ],
    [
      { type: "oci", url: "ftp://registry.example.test" },
      "url",
      'registry url "ftp://registry.example.test" must start with http:// or https://',
    ],
    [
      { type: "oci", url: "https://registry.example.test/?x=1" },
      "url",
      'registry url "https://registry.example.test/?x=1" must not have a query or fragment',
    ],
    [
      { type: "oci", url: "http://127.0.0.1:5000", timeoutMs: 0 },
      "timeoutMs",
      "timeoutMs must be a positive integer, got 0",
    ],
    [
      { type: "oci", url: "http://127.0.0.1:5000", concurrency: 1.5 },
      "concurrency",
      "concurrency must be a positive integer, got 1.5",
    ],
  ])("rejects %j", (options, option, message) => {
    let caught: unknown;
    try {
      createRegistry(options as Parameters<typeof createRegistry>[0]);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(RegistryConfigError);
    expect((caught as RegistryConfigError).option).toBe(option);
    expect((caught as RegistryConfigError).message).toBe(message);
  });

  test("url with credentials is rejected without echoing them", () => {
    let message = "";
    try {
      createRegistry({ type: "oci", url: "https://ci:s3cret@registry.example.test" });
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toBe(
      "the registry url contains credentials: pass them as username and token instead",
    );
  });

  test("defaults docker hub and ghcr urls", async () => {
    const hub = createRegistry({ type: "dockerhub" });
    const ghcr = createRegistry({ type: "ghcr" });

    expect(hub.url).toBe("https://registry-1.docker.io");
    expect(ghcr.url).toBe("https://ghcr.io");
    await hub.close();
    await ghcr.close();
  });

  test("trailing slash is dropped", async () => {
    const registry = createRegistry({ type: "oci", url: "http://127.0.0.1:5000/" });

    expect(registry.url).toBe("http://127.0.0.1:5000");
    await registry.close();
  });
});
