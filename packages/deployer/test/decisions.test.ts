import { describe, expect, test } from "vitest";
import type { ContainerState } from "../src/docker/types.js";
import { DeployError } from "../src/errors.js";
import { checkAllowed, containerBinds } from "../src/pipeline/container-spec.js";
import type { VolumeRow } from "../src/pipeline/context.js";
import { describeHealthLimit, healthTimeoutMs, judgeContainer } from "../src/pipeline/health.js";
import { containerName, dnsLabel, stageDomain } from "../src/pipeline/naming.js";

function snapshot(overrides: Partial<ContainerState>): ContainerState {
  return {
    id: "new",
    name: "shop-dev-1.4.0-abcdef12",
    status: "running",
    running: true,
    exitCode: 0,
    restartCount: 0,
    health: null,
    labels: {},
    ports: {},
    ...overrides,
  };
}

describe("judgeContainer", () => {
  test.each([
    [
      "starting healthcheck waits",
      snapshot({ health: { status: "starting", failingStreak: 0, lastOutput: undefined } }),
      "wait",
    ],
    [
      "healthy passes",
      snapshot({ health: { status: "healthy", failingStreak: 0, lastOutput: undefined } }),
      "pass",
    ],
    ["running without healthcheck waits for the caller's check", snapshot({}), "wait"],
    ["created but not running waits", snapshot({ status: "created", running: false }), "wait"],
  ])("%s", (_name, state, expected) => {
    expect(judgeContainer(state).kind).toBe(expected);
  });

  test.each([
    [
      "unhealthy reports the last output",
      snapshot({ health: { status: "unhealthy", failingStreak: 3, lastOutput: "wget: 503" } }),
      "healthcheck failed 3 times: wget: 503",
    ],
    [
      "restart loop fails",
      snapshot({ status: "restarting", running: false, restartCount: 2 }),
      "container is restarting (restart count 2): check its logs",
    ],
    [
      "a restart hidden by the policy fails",
      snapshot({ restartCount: 1 }),
      "container is restarting (restart count 1): check its logs",
    ],
    [
      "podman's stopped state fails with the exit code",
      snapshot({ status: "stopped", running: false, exitCode: 3 }),
      "container exited with code 3",
    ],
    [
      "exit fails with its code",
      snapshot({ status: "exited", running: false, exitCode: 1 }),
      "container exited with code 1",
    ],
  ])("%s", (_name, state, reason) => {
    expect(judgeContainer(state)).toEqual({ kind: "fail", reason });
  });
});

describe("healthTimeoutMs", () => {
  test("covers start period plus every retry of a HEALTHCHECK", () => {
    const timeout = healthTimeoutMs(60, {
      test: ["CMD", "true"],
      intervalMs: 10_000,
      timeoutMs: 5_000,
      startPeriodMs: 60_000,
      retries: 3,
    });

    expect(timeout).toBeGreaterThanOrEqual(60_000 + 3 * 10_000);
    expect(timeout).toBe(120_000);
  });

  test("uses the setting without a HEALTHCHECK", () => {
    expect(healthTimeoutMs(45, null)).toBe(45_000);
  });
});

describe("describeHealthLimit", () => {
  const healthcheck = {
    test: ["CMD", "true"],
    intervalMs: 10_000,
    timeoutMs: 5_000,
    startPeriodMs: 60_000,
    retries: 3,
  };

  test.each([
    [
      "HEALTHCHECK longer than the setting",
      60,
      healthcheck,
      null,
      "the image HEALTHCHECK's start period plus 4 tries of its interval and timeout, longer than settings healthTimeoutSeconds of 60 s",
    ],
    [
      "setting longer than the HEALTHCHECK",
      600,
      healthcheck,
      null,
      "settings healthTimeoutSeconds, which covers the image HEALTHCHECK's start period plus 4 tries of its interval and timeout",
    ],
    [
      "HTTP check",
      8,
      null,
      { timeoutSeconds: 5 },
      "settings healthTimeoutSeconds, while the stage's health check timeoutSeconds of 5 s limits each request",
    ],
    ["stability window only", 8, null, null, "settings healthTimeoutSeconds"],
  ])("%s", (_name, settingSeconds, image, httpCheck, expected) => {
    expect(describeHealthLimit(settingSeconds, image, httpCheck)).toBe(expected);
  });
});

describe("naming", () => {
  test.each([
    ["Feature/Login_Page", "feature-login-page"],
    ["--v1.2.3--", "v1-2-3"],
    ["a".repeat(80), "a".repeat(63)],
    ["***", "x"],
  ])("dnsLabel(%s) is %s", (text, expected) => {
    expect(dnsLabel(text)).toBe(expected);
  });

  test("container name is deterministic and engine-safe", () => {
    const name = containerName({
      project: "shop",
      stage: "dev",
      tag: "feature/x+y",
      deployId: "0123abcd-0000-4000-8000-000000000000",
    });

    expect(name).toBe("shop-dev-feature-x-y-0123abcd");
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
  });

  test.each([
    [{ customDomain: "Shop.Example.com", baseDomain: null }, "shop.example.com"],
    [{ customDomain: null, baseDomain: "example.test" }, "dev-shop.example.test"],
    [{ customDomain: null, baseDomain: null }, null],
  ])("stage domain of %o is %s", (input, expected) => {
    expect(
      stageDomain({ ...input, pattern: "{stage}-{project}", stage: "dev", project: "shop" }),
    ).toBe(expected);
  });
});

describe("volumes", () => {
  const volume = (overrides: Partial<VolumeRow>): VolumeRow => ({
    id: "v",
    stageId: "s",
    kind: "shared",
    source: "/srv/berth/data",
    target: "/data",
    readOnly: false,
    ...overrides,
  });

  test("shared, isolated and named volumes become binds", () => {
    const binds = containerBinds(
      [
        volume({}),
        volume({ kind: "isolated", source: "/srv/berth/uploads", target: "/uploads" }),
        volume({ kind: "named", source: "shop-cache", target: "/cache", readOnly: true }),
      ],
      ["/srv/berth"],
      { stage: "dev", tag: "1.4.0" },
    );

    expect(binds).toEqual([
      "/srv/berth/data:/data",
      "/srv/berth/uploads/dev-1.4.0:/uploads",
      "shop-cache:/cache:ro",
    ]);
  });

  test.each(["/etc", "/srv/berth-other/x", "/srv/berth/../../etc"])(
    "rejects host path %s outside the allow-list",
    (source) => {
      expect(() => checkAllowed(source, ["/srv/berth"])).toThrow(DeployError);
      expect(() => checkAllowed(source, ["/srv/berth"])).toThrow(
        `volume host path ${source} is outside the allowed folders (/srv/berth): add its folder to the volume allow-list in settings`,
      );
    },
  );
});
