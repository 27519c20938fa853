import { describe, expect, test } from "vitest";
import {
  formatImageReference,
  ImageReferenceError,
  parseImageReference,
  registryApiHost,
  registryAuthKeys,
} from "../src/select.js";

const D = (hex: string) => `sha256:${hex.repeat(64)}`;

describe("parseImageReference", () => {
  test.each([
    [
      "registry.example.test:5000/acme/app:1.2.3",
      "registry.example.test:5000",
      "acme/app",
      "1.2.3",
    ],
    ["registry:5000/classic-web", "registry:5000", "classic-web", "latest"],
    ["localhost/app:dev", "localhost", "app", "dev"],
    ["localhost:5000/app", "localhost:5000", "app", "latest"],
    ["nginx", "docker.io", "library/nginx", "latest"],
    ["nginx:1.27-alpine", "docker.io", "library/nginx", "1.27-alpine"],
    ["acme/app", "docker.io", "acme/app", "latest"],
    ["docker.io/nginx", "docker.io", "library/nginx", "latest"],
    ["index.docker.io/acme/app:1", "docker.io", "acme/app", "1"],
    ["registry-1.docker.io/acme/app:1", "docker.io", "acme/app", "1"],
    [
      "gitea.example.test/acme/tools/el9/app:1.0",
      "gitea.example.test",
      "acme/tools/el9/app",
      "1.0",
    ],
    ["ghcr.io/Acme/App:1.0-RC", "ghcr.io", "acme/app", "1.0-RC"],
    ["Registry.Example.Test/acme/app", "registry.example.test", "acme/app", "latest"],
    ["127.0.0.1:5000/acme/app:v2", "127.0.0.1:5000", "acme/app", "v2"],
    ["[::1]:5000/acme/app:v2", "[::1]:5000", "acme/app", "v2"],
    ["  acme/app:1  ", "docker.io", "acme/app", "1"],
    ["acme/my_app__x/a-b--c:1", "docker.io", "acme/my_app__x/a-b--c", "1"],
  ])("parses %s", (input, registry, repository, tag) => {
    const reference = parseImageReference(input);

    expect(reference.registry).toBe(registry);
    expect(reference.repository).toBe(repository);
    expect(reference.tag).toBe(tag);
    expect(reference.digest).toBeUndefined();
  });

  test("keeps tag and digest together", () => {
    const reference = parseImageReference(`registry.example.test:5000/acme/app:1.2.3@${D("a")}`);

    expect(reference).toEqual({
      registry: "registry.example.test:5000",
      repository: "acme/app",
      tag: "1.2.3",
      digest: D("a"),
    });
  });

  test("digest alone leaves tag unset", () => {
    const reference = parseImageReference(`ghcr.io/acme/app@${D("b")}`);

    expect(reference.tag).toBeUndefined();
    expect(reference.digest).toBe(D("b"));
  });

  test.each([
    ["", /empty/],
    ["   ", /empty/],
    ["acme/app:1 2", /whitespace/],
    ["acme/app:", /tag "" is not valid/],
    ["acme/app:-x", /tag "-x" is not valid/],
    ["acme/app:.x", /tag ".x" is not valid/],
    [`acme/app:${"a".repeat(129)}`, /tag .* is not valid/],
    ["acme//app", /empty path part/],
    ["acme/app/", /empty path part/],
    ["registry.example.test/", /empty path part/],
    ["acme/app-:1", /repository part "app-" is not valid/],
    ["acme/ap+p:1", /repository part "ap\+p" is not valid/],
    ["registry.example.test:99999/acme/app", /registry "registry.example.test:99999"/],
    ["-bad.example.test/acme/app", /registry "-bad.example.test"/],
    ["acme/app@sha256:abc", /digest "sha256:abc" is not valid/],
    [`acme/app@sha256:${"A".repeat(64)}`, /digest .* is not valid/],
    [`acme/app@${D("a")}@${D("b")}`, /more than one @/],
    [`registry.example.test/${"a".repeat(250)}`, /longer than 255/],
  ])("rejects %j", (input, message) => {
    expect(() => parseImageReference(input)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(input)).toThrow(message);
  });

  test("error quotes the reference", () => {
    expect(() => parseImageReference("acme//app")).toThrow('invalid image reference "acme//app"');
  });
});

describe("formatImageReference", () => {
  test.each([
    "docker.io/library/nginx:latest",
    "127.0.0.1:5000/acme/app:1.0",
    `ghcr.io/acme/app:1.0@${D("c")}`,
    `ghcr.io/acme/app@${D("c")}`,
  ])("round-trips %s", (text) => {
    expect(formatImageReference(parseImageReference(text))).toBe(text);
  });
});

describe("registryApiHost", () => {
  test.each([
    ["docker.io", "registry-1.docker.io"],
    ["index.docker.io", "registry-1.docker.io"],
    ["ghcr.io", "ghcr.io"],
    ["127.0.0.1:5000", "127.0.0.1:5000"],
  ])("maps %s", (registry, host) => {
    expect(registryApiHost(registry)).toBe(host);
  });
});

describe("registryAuthKeys", () => {
  test.each(["docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"])(
    "tries every Docker Hub name for %s",
    (registry) => {
      expect(registryAuthKeys(registry)).toEqual([
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "registry-1.docker.io",
      ]);
    },
  );

  test("other registries use their host", () => {
    expect(registryAuthKeys("Registry.Example.Test:5000")).toEqual(["registry.example.test:5000"]);
  });
});
