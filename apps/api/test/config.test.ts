import path from "node:path";
import { createDockerClient } from "@berth/deployer";
import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const KEY = Buffer.alloc(32, 1).toString("base64");

function configError(env: NodeJS.ProcessEnv): Error {
  try {
    loadConfig(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error("loadConfig accepted the environment");
}

function dockerHostRejected(host: string): boolean {
  try {
    loadConfig({ BERTH_DOCKER_HOST: host });
    return false;
  } catch (error) {
    return error instanceof ConfigError && error.message.includes("BERTH_DOCKER_HOST is");
  }
}

describe("config", () => {
  test("defaults to the embedded database on loopback", () => {
    const config = loadConfig({});

    expect(config.host).toBe("127.0.0.1");
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe(path.resolve(".berth"));
    expect(config.databaseUrl).toBeUndefined();
    expect(config.secretKeys).toBeUndefined();
    expect(config.logLevel).toBe("info");
    expect(config.shutdownTimeoutSeconds).toBe(30);
    expect(config.deployStaleAfterSeconds).toBe(60);
    expect(config.registryTimeoutSeconds).toBe(30);
  });

  test("reads every variable", () => {
    const config = loadConfig({
      BERTH_HOST: "::1",
      BERTH_PORT: "9090",
      BERTH_DATA_DIR: "/var/lib/berth",
      DATABASE_URL: "postgres://berth@127.0.0.1:5432/berth",
      BERTH_SECRET_KEY: KEY,
      BERTH_SEED_FILE: "seed.yaml",
      BERTH_LOG_LEVEL: "debug",
      BERTH_SHUTDOWN_TIMEOUT_SECONDS: "5",
      BERTH_DEPLOY_STALE_AFTER_SECONDS: "12",
      BERTH_REGISTRY_TIMEOUT_SECONDS: "4",
    });

    expect(config).toMatchObject({
      host: "::1",
      port: 9090,
      dataDir: "/var/lib/berth",
      databaseUrl: "postgres://berth@127.0.0.1:5432/berth",
      seedFile: path.resolve("seed.yaml"),
      logLevel: "debug",
      shutdownTimeoutSeconds: 5,
      deployStaleAfterSeconds: 12,
      registryTimeoutSeconds: 4,
    });
    expect(config.secretKeys).toEqual([{ version: 1, key: Buffer.alloc(32, 1) }]);
  });

  test.each([
    {
      env: { BERTH_PORT: "http" },
      message: 'BERTH_PORT is "http": expected a whole number from 1 to 65535',
    },
    { env: { BERTH_PORT: "70000" }, message: 'BERTH_PORT is "70000"' },
    {
      env: { BERTH_SHUTDOWN_TIMEOUT_SECONDS: "-1" },
      message: 'BERTH_SHUTDOWN_TIMEOUT_SECONDS is "-1"',
    },
    {
      env: { BERTH_DEPLOY_STALE_AFTER_SECONDS: "2" },
      message: 'BERTH_DEPLOY_STALE_AFTER_SECONDS is "2": expected a whole number from 3 to 3600',
    },
    {
      env: { BERTH_REGISTRY_TIMEOUT_SECONDS: "0" },
      message: 'BERTH_REGISTRY_TIMEOUT_SECONDS is "0": expected a whole number from 1 to 600',
    },
    { env: { BERTH_SECRET_KEY: "too-short" }, message: "BERTH_SECRET_KEY is not a valid key" },
    {
      env: { DATABASE_URL: "postgres://127.0.0.1/berth" },
      message: "BERTH_SECRET_KEY is required with DATABASE_URL",
    },
    {
      env: { DATABASE_URL: "postgres://berth:pw-123@[bad/berth", BERTH_SECRET_KEY: KEY },
      message: "DATABASE_URL is not a valid URL",
    },
    {
      env: { BERTH_LOG_LEVEL: "verbose" },
      message:
        'BERTH_LOG_LEVEL is "verbose": expected one of fatal, error, warn, info, debug, trace, silent',
    },
    {
      env: { BERTH_ADMIN_PASSWORD: "pw-123" },
      message:
        "BERTH_ADMIN_PASSWORD is 6 characters long: use at least 12, or unset it to have one generated",
    },
    {
      env: { BERTH_DOCKER_HOST: "http://foo" },
      message:
        'BERTH_DOCKER_HOST is "http://foo": expected unix:///path/to/docker.sock or tcp://host:port',
    },
    { env: { BERTH_DOCKER_HOST: "ssh://me@build-host" }, message: "BERTH_DOCKER_HOST is" },
    {
      env: { BERTH_DOCKER_HOST: "npipe:////./pipe/docker_engine" },
      message: "BERTH_DOCKER_HOST is",
    },
    { env: { BERTH_DOCKER_HOST: "/var/run/docker.sock" }, message: "BERTH_DOCKER_HOST is" },
    { env: { BERTH_DOCKER_HOST: "unix://docker.sock" }, message: "BERTH_DOCKER_HOST is" },
    { env: { BERTH_DOCKER_HOST: "tcp://127.0.0.1" }, message: "BERTH_DOCKER_HOST is" },
    {
      env: { DOCKER_HOST: "ssh://me:pw-123@build-host" },
      message:
        'DOCKER_HOST is "ssh://…@build-host": expected unix:///path/to/docker.sock or tcp://host:port, or set BERTH_DOCKER_HOST to one of those to override it',
    },
    {
      env: { BERTH_PORT: "http", BERTH_LOG_LEVEL: "verbose", BERTH_DOCKER_HOST: "http://foo" },
      message:
        'BERTH_PORT is "http": expected a whole number from 1 to 65535; BERTH_LOG_LEVEL is "verbose": expected one of fatal, error, warn, info, debug, trace, silent; BERTH_DOCKER_HOST is "http://foo"',
    },
  ])("rejects $env with a clear message", ({ env, message }) => {
    const error = configError(env);

    expect(error.message).toContain(message);
    expect(error.message).not.toContain("pw-123");
    expect(error.message).not.toContain("too-short");
  });

  test.each([
    {
      env: { BERTH_DOCKER_HOST: "unix:///run/podman/podman.sock" },
      expected: "unix:///run/podman/podman.sock",
    },
    { env: { BERTH_DOCKER_HOST: "tcp://127.0.0.1:2375" }, expected: "tcp://127.0.0.1:2375" },
    { env: { BERTH_DOCKER_HOST: "tcp://[::1]:2376/" }, expected: "tcp://[::1]:2376/" },
    { env: { DOCKER_HOST: "tcp://docker.internal:2375" }, expected: "tcp://docker.internal:2375" },
    {
      env: { BERTH_DOCKER_HOST: "unix:///var/run/docker.sock", DOCKER_HOST: "ssh://me@build-host" },
      expected: "unix:///var/run/docker.sock",
    },
    { env: {}, expected: undefined },
  ])("accepts Docker host $env", ({ env, expected }) => {
    expect(loadConfig(env).dockerHost).toBe(expected);
  });

  // The config check copies the engine client's parser, so this keeps the two in step.
  test.each([
    "unix:///tmp/berth-config-test-missing.sock",
    "tcp://127.0.0.1:1",
    "tcp://[::1]:1/",
    "http://127.0.0.1:1",
    "ssh://127.0.0.1",
    "unix://relative.sock",
    "tcp://127.0.0.1",
    "/var/run/docker.sock",
  ])("Docker host %s gets the engine client's verdict", async (host) => {
    const configAccepts = !dockerHostRejected(host);
    const clientError = await createDockerClient({ host, timeoutMs: 2000 }).then(
      () => undefined,
      (error: unknown) => String(error),
    );
    const clientAccepts = !clientError?.includes("invalid Docker host");

    expect(configAccepts).toBe(clientAccepts);
  });

  test("bad port is a ConfigError", () => {
    expect(configError({ BERTH_PORT: "0" })).toBeInstanceOf(ConfigError);
  });
});
