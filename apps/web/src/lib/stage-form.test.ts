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
    notificationUrl: "https://hooks.example.test/berth",
  });

  const everything = { includeEnv: true, includeNotificationUrl: true };
  const noEnv = { includeEnv: false, includeNotificationUrl: true };

  test("round-trips the stage fields", () => {
    const body = formToBody(stageToForm(stage), everything);
    expect(body).toMatchObject({
      name: "prod",
      tagInclude: ["v*", "release-*"],
      policy: { kind: "semver", range: "^1", allowPrerelease: true },
      containerPort: 8080,
      healthCheck: { path: "/health", expectedStatus: 204, intervalSeconds: 5, timeoutSeconds: 2 },
      maxInstances: 1,
      volumes: [{ kind: "named", source: "data", target: "/data", readOnly: false }],
      notificationUrl: "https://hooks.example.test/berth",
    });
  });

  test("leaves notification URL out for non-admins", () => {
    const body = formToBody(stageToForm(stage), {
      includeEnv: true,
      includeNotificationUrl: false,
    });
    expect(body).not.toHaveProperty("notificationUrl");
    expect(body).toHaveProperty("env");
  });

  test("leaves env out unless it was edited", () => {
    expect(formToBody(stageToForm(stage), noEnv)).not.toHaveProperty("env");
  });

  test("finds stored secrets that were not typed again", () => {
    expect(untypedSecrets(stageToForm(stage))).toEqual([1]);
  });

  test("sends empty optional fields as null", () => {
    const form = {
      ...stageToForm(stage),
      containerPort: " ",
      subdomain: "",
      healthEnabled: false,
      notificationUrl: "",
    };
    expect(formToBody(form, noEnv)).toMatchObject({
      containerPort: null,
      subdomain: null,
      healthCheck: null,
      notificationUrl: null,
    });
  });
});
