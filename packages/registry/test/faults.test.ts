import { createHash } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { createRegistry, isRegistryError, type Registry, RegistryError } from "../src/index.js";
import { type FakeServer, type Handler, sendJson, startFakeServer } from "./support/fake-server.js";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DIGEST = `sha256:${"a".repeat(64)}`;

let server: FakeServer | undefined;
let registry: Registry | undefined;

afterEach(async () => {
  await registry?.close();
  await server?.stop();
  registry = undefined;
  server = undefined;
});

async function setUp(
  handler: Handler,
  options: {
    timeoutMs?: number;
    token?: string;
    username?: string;
    concurrency?: number;
    maxPages?: number;
  } = {},
) {
  server = await startFakeServer(handler);
  registry = createRegistry({ type: "oci", url: server.url, name: "fake", ...options });
  return { server, registry };
}

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

describe("status errors", () => {
  test("401 from token endpoint is unauthorized", async () => {
    const { registry, server } = await setUpWithRealm(
      (response) => sendJson(response, 401, { details: "incorrect username or password" }),
      { username: "ci", token: "not-the-token" },
    );

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("unauthorized");
    expect(error.registry).toBe("fake");
    expect(error.repository).toBe("acme/app");
    expect(error.message).toContain("for user ci");
    expect(error.message).not.toContain("not-the-token");
    const tokenRequest = server.requests.find((request) => request.url.startsWith("/token"));
    expect(tokenRequest?.headers.authorization).toBe(
      `Basic ${Buffer.from("ci:not-the-token").toString("base64")}`,
    );
  });

  test("401 after a fresh token retries once", async () => {
    const { registry, server } = await setUpWithRealm((response) =>
      sendJson(response, 200, { token: "t" }),
    );

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("unauthorized");
    const registryCalls = server.requests.filter((request) => request.url.startsWith("/v2/"));
    expect(registryCalls).toHaveLength(2);
  });

  test("404 repository is not_found", async () => {
    const { registry } = await setUp((_request, response) =>
      sendJson(response, 404, {
        errors: [{ code: "NAME_UNKNOWN", message: "repository name not known to registry" }],
      }),
    );

    const error = await failure(registry.listTags("acme/missing"));

    expect(error.kind).toBe("not_found");
    expect(error.status).toBe(404);
    expect(error.message).toContain("NAME_UNKNOWN");
  });

  test("403 is forbidden", async () => {
    const { registry } = await setUp((_request, response) =>
      sendJson(response, 403, { errors: [{ code: "DENIED" }] }),
    );

    expect((await failure(registry.listTags("acme/app"))).kind).toBe("forbidden");
  });

  test("503 is a network error", async () => {
    const { registry } = await setUp((_request, response) => sendJson(response, 503, {}));

    expect((await failure(registry.listTags("acme/app"))).kind).toBe("network");
  });

  test("429 with Retry-After", async () => {
    const { registry } = await setUp((_request, response) =>
      sendJson(response, 429, { errors: [{ code: "TOOMANYREQUESTS" }] }, { "retry-after": "120" }),
    );

    const error = await failure(registry.getDigest("acme/app", "1.0.0"));

    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(120);
  });

  test("429 without Retry-After still backs off", async () => {
    const { registry } = await setUp((_request, response) => sendJson(response, 429, {}));

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(30);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(45);
  });
});

/** Starts a server whose 401 challenge points at its own `/token`, served by `token`. */
async function setUpWithRealm(
  token: (response: import("node:http").ServerResponse) => void,
  options: { username?: string; token?: string } = {},
) {
  let realm = "";
  const result = await setUp((_request, response, url) => {
    if (url.pathname === "/token") {
      token(response);
      return;
    }
    sendJson(
      response,
      401,
      { errors: [{ code: "UNAUTHORIZED" }] },
      {
        "www-authenticate": `Bearer realm="${realm}",service="fake"`,
      },
    );
  }, options);
  realm = `${result.server.url}/token`;
  return result;
}

describe("broken responses", () => {
  test("truncated JSON is a protocol error", async () => {
    const { registry } = await setUp((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"name":"acme/app","tags":["1.0');
    });

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("protocol");
    expect(error.message).toContain("invalid JSON for list tags of acme/app");
  });

  test("body cut short is a network error", async () => {
    const { registry } = await setUp((_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "500" });
      response.write('{"name":"acme/app","tags":[');
      setTimeout(() => response.destroy(), 20);
    });

    expect((await failure(registry.listTags("acme/app"))).kind).toBe("network");
  });

  test("tags that are not strings", async () => {
    const { registry } = await setUp((_request, response) =>
      sendJson(response, 200, { name: "acme/app", tags: [1, 2] }),
    );

    expect((await failure(registry.listTags("acme/app"))).kind).toBe("protocol");
  });

  test("null tags is an empty list", async () => {
    const { registry } = await setUp((_request, response) =>
      sendJson(response, 200, { name: "acme/app", tags: null }),
    );

    expect(await registry.listTags("acme/app")).toEqual([]);
  });

  test("server that hangs times out", async () => {
    const { registry } = await setUp(() => {}, { timeoutMs: 300 });
    const started = Date.now();

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("timeout");
    expect(error.message).toContain("within 300 ms");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test("body that stalls times out", async () => {
    const { registry } = await setUp(
      (_request, response) => {
        response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        response.write('{"tags":[');
      },
      { timeoutMs: 300 },
    );

    expect((await failure(registry.listTags("acme/app"))).kind).toBe("timeout");
  });

  test("redirect loop is a protocol error", async () => {
    const { registry } = await setUp((_request, response, url) => {
      const target = url.pathname === "/elsewhere" ? "/v2/acme/app/tags/list?n=1000" : "/elsewhere";
      response.writeHead(302, { location: target });
      response.end();
    });

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("protocol");
    expect(error.message).toContain("redirected");
  });

  test("refused connection is a network error", async () => {
    const probe = await startFakeServer(() => {});
    const url = probe.url;
    await probe.stop();
    registry = createRegistry({ type: "oci", url, name: "gone" });

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("network");
    expect(error.message).toContain("ECONNREFUSED");
  });

  test("caller abort rejects with the abort reason", async () => {
    const { registry } = await setUp(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("poll cancelled")), 50);

    const error = await registry
      .listTags("acme/app", { signal: controller.signal })
      .catch((caught: unknown) => caught);

    expect(isRegistryError(error)).toBe(false);
    expect((error as Error).message).toBe("poll cancelled");
  });
});

describe("redirects", () => {
  test("credentials stay on the first origin", async () => {
    const other = await startFakeServer((_request, response) =>
      sendJson(response, 200, { name: "acme/app", tags: ["1.0.0"] }),
    );
    try {
      const { registry } = await setUp(
        (request, response) => {
          if (!request.headers.authorization) {
            sendJson(response, 401, {}, { "www-authenticate": 'Basic realm="fake"' });
            return;
          }
          response.writeHead(307, { location: `${other.url}/v2/acme/app/tags/list` });
          response.end();
        },
        { username: "ci", token: "secret" },
      );

      const tags = await registry.listTags("acme/app");

      expect(tags.map((tag) => tag.name)).toEqual(["1.0.0"]);
      expect(other.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await other.stop();
    }
  });
});

describe("tag paging", () => {
  test("follows relative and absolute links with opaque tokens", async () => {
    const { registry, server } = await setUp((_request, response, url) => {
      const token = url.searchParams.get("token");
      if (token === null) {
        sendJson(
          response,
          200,
          { tags: ["a", "b"] },
          { link: '</v2/acme/app/tags/list?token=Zm9v%3D%3D&n=2>; rel="next"' },
        );
      } else if (token === "Zm9v==") {
        sendJson(
          response,
          200,
          { tags: ["c"] },
          { link: `<${server!.url}/v2/acme/app/tags/list?token=last>; rel="next"` },
        );
      } else {
        sendJson(response, 200, { tags: ["d"] });
      }
    });

    const tags = await registry.listTags("acme/app");

    expect(tags.map((tag) => tag.name)).toEqual(["a", "b", "c", "d"]);
    expect(server.requests[1]?.url).toBe("/v2/acme/app/tags/list?token=Zm9v%3D%3D&n=2");
  });

  test("a short page with a link is not the end", async () => {
    const { registry } = await setUp((_request, response, url) => {
      if (url.searchParams.get("last") === null) {
        sendJson(
          response,
          200,
          { tags: ["a"] },
          { link: '</v2/acme/app/tags/list?n=1000&last=a>; rel="next"' },
        );
      } else {
        sendJson(response, 200, { tags: ["b"] });
      }
    });

    expect((await registry.listTags("acme/app")).map((tag) => tag.name)).toEqual(["a", "b"]);
  });

  test("a repeated link stops the walk", async () => {
    const { registry, server } = await setUp((_request, response) =>
      sendJson(
        response,
        200,
        { tags: ["a", "b"] },
        { link: '</v2/acme/app/tags/list?n=1000>; rel="next"' },
      ),
    );

    const tags = await registry.listTags("acme/app");

    expect(tags.map((tag) => tag.name)).toEqual(["a", "b"]);
    expect(server.requests).toHaveLength(1);
  });

  test("page cap ends an endless listing", async () => {
    let page = 0;
    const { registry } = await setUp(
      (_request, response) => {
        page += 1;
        sendJson(
          response,
          200,
          { tags: [`t${page}`] },
          { link: `</v2/acme/app/tags/list?page=${page + 1}>; rel="next"` },
        );
      },
      { maxPages: 5 },
    );

    const error = await failure(registry.listTags("acme/app"));

    expect(error.kind).toBe("protocol");
    expect(error.message).toContain("more than 5 pages");
  });
});

describe("manifest digests", () => {
  /** Returns 404 unless Accept lists the stored type, like Harbor. */
  function acceptSensitive(mediaType: string): Handler {
    return (request, response) => {
      const accept = request.headers.accept ?? "";
      if (
        !accept
          .split(",")
          .map((type) => type.trim())
          .includes(mediaType)
      ) {
        sendJson(response, 404, {
          errors: [
            {
              code: "MANIFEST_UNKNOWN",
              message: "OCI manifest found, but accept header does not support OCI manifests",
            },
          ],
        });
        return;
      }
      response.writeHead(200, {
        "content-type": mediaType,
        "docker-content-digest": DIGEST,
        "content-length": "1234",
      });
      response.end();
    };
  }

  test.each([OCI_MANIFEST, OCI_INDEX])("finds %s with the full Accept list", async (mediaType) => {
    const { registry, server } = await setUp(acceptSensitive(mediaType));

    expect(await registry.getDigest("acme/app", "latest")).toBe(DIGEST);
    expect(server.requests[0]?.method).toBe("HEAD");
    expect(server.requests[0]?.headers.accept).toBe(
      "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json",
    );
  });

  test("HEAD without digest falls back to GET", async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST });
    const { registry } = await setUp((request, response) => {
      response.writeHead(200, {
        "content-type": OCI_MANIFEST,
        "content-length": String(Buffer.byteLength(body)),
      });
      response.end(request.method === "HEAD" ? undefined : body);
    });

    const digest = await registry.getDigest("acme/app", "latest");

    expect(digest).toBe(`sha256:${createHash("sha256").update(body).digest("hex")}`);
  });

  test("invalid digest header is a protocol error", async () => {
    const { registry } = await setUp((_request, response) => {
      response.writeHead(200, { "docker-content-digest": "not a digest" });
      response.end();
    });

    expect((await failure(registry.getDigest("acme/app", "latest"))).kind).toBe("protocol");
  });
});

describe("auth challenges", () => {
  test("realm-only challenge still gets a token", async () => {
    let realm = "";
    const { registry, server } = await setUp((request, response, url) => {
      if (url.pathname === "/token") {
        sendJson(response, 200, { access_token: "tok" });
      } else if (request.headers.authorization === "Bearer tok") {
        sendJson(response, 200, { tags: ["1"] });
      } else {
        sendJson(response, 401, {}, { "www-authenticate": `Bearer realm="${realm}"` });
      }
    });
    realm = `${server.url}/token`;

    await registry.listTags("acme/app");

    const tokenUrl = new URL(
      server.requests.find((request) => request.url.startsWith("/token"))?.url ?? "",
      server.url,
    );
    expect(tokenUrl.searchParams.get("service")).toBeNull();
    expect(tokenUrl.searchParams.get("scope")).toBe("repository:acme/app:pull");
  });

  test("basic challenge sends credentials directly", async () => {
    const expected = `Basic ${Buffer.from("ci:secret").toString("base64")}`;
    const { registry, server } = await setUp(
      (request, response) => {
        if (request.headers.authorization === expected) {
          sendJson(response, 200, { tags: ["1"] });
        } else {
          sendJson(response, 401, {}, { "www-authenticate": 'Basic realm="Registry Realm"' });
        }
      },
      { username: "ci", token: "secret" },
    );

    await registry.listTags("acme/app");
    await registry.listTags("acme/app");

    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      undefined,
      expected,
      expected,
    ]);
  });

  test("gitea star scope is replaced by the pull scope", async () => {
    let realm = "";
    const { registry, server } = await setUp((request, response, url) => {
      if (url.pathname === "/v2/token") {
        sendJson(response, 200, { token: "tok" });
      } else if (request.headers.authorization === "Bearer tok") {
        sendJson(response, 200, { tags: ["1"] });
      } else {
        response.writeHead(401, {
          "www-authenticate": [
            `Bearer realm="${realm}",service="container_registry",scope="*"`,
            "Basic",
          ],
        } as unknown as Record<string, string>);
        response.end();
      }
    });
    realm = `${server.url}/v2/token`;

    await registry.listTags("acme/app");

    const tokenUrl = new URL(
      server.requests.find((request) => request.url.startsWith("/v2/token"))?.url ?? "",
      server.url,
    );
    expect(tokenUrl.searchParams.get("service")).toBe("container_registry");
    expect(tokenUrl.searchParams.get("scope")).toBe("repository:acme/app:pull");
  });
});

describe("limits", () => {
  test("rate limit headers are exposed", async () => {
    const { registry } = await setUp((_request, response) => {
      response.writeHead(200, {
        "docker-content-digest": DIGEST,
        "ratelimit-limit": "100;w=21600",
        "ratelimit-remaining": "76;w=21600",
      });
      response.end();
    });

    await registry.getDigest("acme/app", "latest");

    expect(registry.rateLimit()).toEqual({ limit: 100, remaining: 76, windowSeconds: 21600 });
  });

  test("concurrency limit caps requests in flight", async () => {
    const { registry, server } = await setUp(
      (_request, response) => {
        setTimeout(() => {
          response.writeHead(200, { "docker-content-digest": DIGEST });
          response.end();
        }, 30);
      },
      { concurrency: 2 },
    );

    await Promise.all(Array.from({ length: 10 }, () => registry.getDigest("acme/app", "1")));

    expect(server.requests).toHaveLength(10);
    expect(server.maxInFlight()).toBeLessThanOrEqual(2);
  });
});

describe("keep-alive", () => {
  test("retries once when a reused connection was closed", async () => {
    const served = new WeakSet<object>();
    const { registry } = await setUp((request, response) => {
      if (served.has(request.socket)) {
        // The server dropped this idle connection: reset it instead of answering.
        request.socket.destroy();
        return;
      }
      served.add(request.socket);
      response.writeHead(200, { "docker-content-digest": DIGEST, "content-length": "1234" });
      response.end();
    });

    expect(await registry.getDigest("acme/app", "1")).toBe(DIGEST);
    expect(await registry.getDigest("acme/app", "1")).toBe(DIGEST);
    expect(registry.stats().connections).toBe(2);
  });
});
