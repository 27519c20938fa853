import { describe, expect, test } from "vitest";
import { formToBody, stageToForm, untypedSecrets } from "./stage-form.js";
import { aStage } from "./test-data.js";

describe("stage form", () => {
  const stage = aStage({
    tagInclude: ["v*", "release-*"],
    policy: { kind: "semver", range: "^1", allowPrerelease: true },
    healthCheck: { path: "/health", expectedStatus: 204, intervalSeconds: 5, timeoutSeconds: 2 },
    env: [
      { key: "MODE", value: "prod", secret: false },
      { key: "TOKEN", value: null, secret: true },
    ],
    volumes: [{ kind: "named", source: "data", target: "/data", readOnly: false }],
  });

  test("round-trips the stage fields", () => {
    const body = formToBody(stageToForm(stage), true);
    expect(body).toMatchObject({
      name: "prod",
      tagInclude: ["v*", "release-*"],
      policy: { kind: "semver", range: "^1", allowPrerelease: true },
      containerPort: 8080,
      healthCheck: { path: "/health", expectedStatus: 204, intervalSeconds: 5, timeoutSeconds: 2 },
      maxInstances: 1,
      volumes: [{ kind: "named", source: "data", target: "/data", readOnly: false }],
    });
  });

  test("leaves env out unless it was edited", () => {
    expect(formToBody(stageToForm(stage), false)).not.toHaveProperty("env");
  });

  test("finds stored secrets that were not typed again", () => {
    expect(untypedSecrets(stageToForm(stage))).toEqual([1]);
  });

  test("sends empty optional fields as null", () => {
    const form = { ...stageToForm(stage), containerPort: " ", subdomain: "", healthEnabled: false };
    expect(formToBody(form, false)).toMatchObject({
      containerPort: null,
      subdomain: null,
      healthCheck: null,
    });
  });
});
