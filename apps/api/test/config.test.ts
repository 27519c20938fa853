import path from "node:path";
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
    { env: { BERTH_LOG_LEVEL: "loud" }, message: "BERTH_LOG_LEVEL: expected one of fatal, error" },
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
  ])("rejects $env with a clear message", ({ env, message }) => {
    const error = configError(env);

    expect(error.message).toContain(message);
    expect(error.message).not.toContain("pw-123");
    expect(error.message).not.toContain("too-short");
  });

  test("bad port is a ConfigError", () => {
    expect(configError({ BERTH_PORT: "0" })).toBeInstanceOf(ConfigError);
  });
});
