import { describe, expect, test } from "vitest";
import {
  type StageForm,
  splitPatterns,
  validateProject,
  validateRegistry,
  validateStage,
} from "./validation.js";

const validStage: StageForm = {
  name: "prod",
  tagInclude: ["v*"],
  tagExclude: [],
  policy: { kind: "semver" },
  containerPort: "8080",
  maxInstances: "1",
  healthPath: "/health",
  notificationUrl: "",
  env: [{ key: "DATABASE_URL" }],
  volumes: [{ source: "data", target: "/data" }],
};

describe("validateStage", () => {
  test("accepts a complete stage", () => {
    expect(validateStage(validStage)).toEqual({});
  });

  test.each([
    ["name", { name: "Prod" }, "name", '"Prod" is not a valid stage name'],
    [
      "port range",
      { containerPort: "70000" },
      "containerPort",
      'port "70000" is not a whole number from 1 to 65535',
    ],
    ["instance limit", { maxInstances: "0" }, "maxInstances", 'instance limit "0"'],
    ["health path", { healthPath: "health" }, "healthCheck.path", "must start with /"],
    [
      "semver range",
      { policy: { kind: "semver", range: "^^1" } },
      "policy.range",
      'invalid semver range "^^1"',
    ],
    ["policy kind", { policy: { kind: "latest" } }, "policy.kind", "unknown policy kind"],
    ["include glob", { tagInclude: ["v 1"] }, "tagInclude", 'invalid include pattern "v 1"'],
    ["env key", { env: [{ key: "1BAD" }] }, "env.0.key", '"1BAD" is not a variable name'],
    [
      "volume target",
      { volumes: [{ source: "data", target: "data" }] },
      "volumes.0.target",
      "not an absolute path",
    ],
    [
      "notification URL",
      { notificationUrl: "ftp://x" },
      "notificationUrl",
      "is not an http:// or https:// URL",
    ],
  ])("rejects a bad %s at its field", (_case, change, field, message) => {
    const errors = validateStage({ ...validStage, ...change } as StageForm);
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toContain(message);
  });

  test("allows an empty port", () => {
    expect(validateStage({ ...validStage, containerPort: "" })).toEqual({});
  });
});

describe("validateProject", () => {
  test("names each bad field", () => {
    const errors = validateProject({
      slug: "Shop!",
      name: " ",
      registryId: "",
      repository: "Acme/Shop",
      notificationUrl: "mailto:x@example.test",
    });
    expect(Object.keys(errors).sort()).toEqual([
      "name",
      "notificationUrl",
      "registryId",
      "repository",
      "slug",
    ]);
    expect(errors.slug).toContain('"Shop!"');
    expect(errors.repository).toContain('"Acme/Shop"');
  });

  test("accepts a valid project", () => {
    expect(
      validateProject({
        slug: "shop",
        name: "Shop",
        registryId: "r",
        repository: "acme/shop",
        notificationUrl: "",
      }),
    ).toEqual({});
  });
});

describe("validateRegistry", () => {
  test("rejects a URL without a scheme", () => {
    expect(
      validateRegistry({ name: "gitea", type: "gitea", url: "gitea.example.test" }).url,
    ).toContain('"gitea.example.test" is not an http:// or https:// URL');
  });
});

describe("splitPatterns", () => {
  test("splits lines and commas and drops blanks", () => {
    expect(splitPatterns("v*\n\n dev-*, rel-* ,")).toEqual(["v*", "dev-*", "rel-*"]);
  });
});
