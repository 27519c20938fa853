/**
 * Berth's configuration from environment variables, read and validated once at start. This is
 * the only module that reads `process.env`; everything else receives a `Config`.
 */
import path from "node:path";
import { parseDatabaseUrl, parseKeyring, type SecretKey } from "@berth/store";
import { z } from "zod";
import { MIN_PASSWORD_LENGTH } from "./auth/first-admin.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export interface Config {
  host: string;
  port: number;
  /** Absolute path of the data directory: the embedded database and its generated key. */
  dataDir: string;
  /** A Postgres server URL; unset selects the embedded database in `dataDir`. */
  databaseUrl: string | undefined;
  /** Keys from `BERTH_SECRET_KEY`; unset on the embedded database means "use the key file". */
  secretKeys: SecretKey[] | undefined;
  /** A YAML file imported when the database is created. */
  seedFile: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Seconds to let requests and work in progress finish after SIGTERM or SIGINT. */
  shutdownTimeoutSeconds: number;
  /** Seconds without a heartbeat after which a running deploy's process counts as dead. */
  deployStaleAfterSeconds: number;
  /** Seconds the poller and the registry checks wait for one registry request before it fails. */
  registryTimeoutSeconds: number;
  /** The Docker engine, as a `DOCKER_HOST` value; unset means the default unix socket. */
  dockerHost: string | undefined;
  /** Bearer token `/metrics` requires; unset leaves it open. */
  metricsToken: string | undefined;
  /** Folder of the built dashboard; unset serves the one apps/web built, if any. */
  webDir: string | undefined;
  /** Password of the first admin, created when no admin exists; unset generates one. */
  adminPassword: string | undefined;
}

/** The environment is invalid; the message names each variable and what it expects. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const integer = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined || value.trim() === "") {
        return fallback;
      }
      const number = Number(value);
      if (!Number.isInteger(number) || number < min || number > max) {
        context.addIssue({
          code: "custom",
          message: `${name} is "${value}": expected a whole number from ${min} to ${max}`,
        });
        return z.NEVER;
      }
      return number;
    });

const logLevel = optionalText.transform((value, context) => {
  if (value === undefined) {
    return "info";
  }
  const level = LOG_LEVELS.find((candidate) => candidate === value);
  if (level === undefined) {
    context.addIssue({
      code: "custom",
      message: `BERTH_LOG_LEVEL is "${value}": expected one of ${LOG_LEVELS.join(", ")}`,
    });
    return z.NEVER;
  }
  return level;
});

// The length only, since the message must not repeat the password.
const adminPassword = optionalText.refine(
  (value) => value === undefined || value.length >= MIN_PASSWORD_LENGTH,
  {
    error: (issue) =>
      `BERTH_ADMIN_PASSWORD is ${String(issue.input).length} characters long: use at least ${MIN_PASSWORD_LENGTH}, or unset it to have one generated`,
  },
);

const environmentSchema = z.object({
  BERTH_HOST: optionalText.transform((value) => value ?? "127.0.0.1"),
  BERTH_PORT: integer("BERTH_PORT", 1, 65535, 8080),
  BERTH_DATA_DIR: optionalText.transform((value) => path.resolve(value ?? ".berth")),
  DATABASE_URL: optionalText,
  BERTH_SECRET_KEY: optionalText,
  BERTH_SEED_FILE: optionalText.transform((value) => (value ? path.resolve(value) : undefined)),
  BERTH_LOG_LEVEL: logLevel,
  BERTH_SHUTDOWN_TIMEOUT_SECONDS: integer("BERTH_SHUTDOWN_TIMEOUT_SECONDS", 1, 3600, 30),
  BERTH_DEPLOY_STALE_AFTER_SECONDS: integer("BERTH_DEPLOY_STALE_AFTER_SECONDS", 3, 3600, 60),
  BERTH_REGISTRY_TIMEOUT_SECONDS: integer("BERTH_REGISTRY_TIMEOUT_SECONDS", 1, 600, 30),
  BERTH_DOCKER_HOST: optionalText,
  DOCKER_HOST: optionalText,
  BERTH_METRICS_TOKEN: optionalText,
  BERTH_WEB_DIR: optionalText.transform((value) => (value ? path.resolve(value) : undefined)),
  BERTH_ADMIN_PASSWORD: adminPassword,
});

/**
 * `DOCKER_HOST` forms that `parseDockerHost` in @berth/deployer accepts: a unix socket by
 * absolute path, or TCP with a host and a port. The client has no ssh://, npipe:// or
 * http:// transport, and no default port.
 */
const DOCKER_HOST_PATTERN = /^(unix:\/\/\/.*|tcp:\/\/([^:/]+|\[[^\]]+\]):\d{1,5}\/?)$/;

/**
 * Checks the Docker engine address Berth will use: BERTH_DOCKER_HOST, else DOCKER_HOST.
 * Returns the problem, naming the variable the value came from, or undefined when it is valid.
 */
function dockerHostProblem(env: NodeJS.ProcessEnv): string | undefined {
  const berthDockerHost = env.BERTH_DOCKER_HOST?.trim();
  const name = berthDockerHost ? "BERTH_DOCKER_HOST" : "DOCKER_HOST";
  const value = berthDockerHost || env.DOCKER_HOST?.trim();
  if (!value || DOCKER_HOST_PATTERN.test(value)) {
    return undefined;
  }
  const override = berthDockerHost
    ? ""
    : ", or set BERTH_DOCKER_HOST to one of those to override it";
  // A URL's user information may hold a password, so it is left out of the message.
  const redacted = value.replace(/\/\/[^/@]*@/, "//…@");
  return `${name} is "${redacted}": expected unix:///path/to/docker.sock or tcp://host:port${override}`;
}

/**
 * Reads the configuration from `env` (default `process.env`). Throws `ConfigError` listing
 * every invalid variable, without repeating secret values.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = environmentSchema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((issue) => issue.message);
  const dockerProblem = dockerHostProblem(env);
  if (dockerProblem) {
    problems.push(dockerProblem);
  }
  if (!result.success || problems.length > 0) {
    throw new ConfigError(problems.join("; "));
  }
  const values = result.data;

  if (values.DATABASE_URL) {
    // Parsing here turns a malformed URL into a start-up error that names no password.
    parseDatabaseUrl(values.DATABASE_URL);
    if (!values.BERTH_SECRET_KEY) {
      throw new ConfigError(
        "BERTH_SECRET_KEY is required with DATABASE_URL: set it to 32 random bytes as base64, e.g. from `openssl rand -base64 32`, and keep it with the database's backups",
      );
    }
  }

  return {
    host: values.BERTH_HOST,
    port: values.BERTH_PORT,
    dataDir: values.BERTH_DATA_DIR,
    databaseUrl: values.DATABASE_URL,
    secretKeys: values.BERTH_SECRET_KEY ? parseKeyring(values.BERTH_SECRET_KEY) : undefined,
    seedFile: values.BERTH_SEED_FILE,
    logLevel: values.BERTH_LOG_LEVEL,
    shutdownTimeoutSeconds: values.BERTH_SHUTDOWN_TIMEOUT_SECONDS,
    deployStaleAfterSeconds: values.BERTH_DEPLOY_STALE_AFTER_SECONDS,
    registryTimeoutSeconds: values.BERTH_REGISTRY_TIMEOUT_SECONDS,
    dockerHost: values.BERTH_DOCKER_HOST ?? values.DOCKER_HOST,
    metricsToken: values.BERTH_METRICS_TOKEN,
    webDir: values.BERTH_WEB_DIR,
    adminPassword: values.BERTH_ADMIN_PASSWORD,
  };
}

/** Copies the whole environment, for `*_env` references in imported files. */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Record<string, string | undefined>> {
  return { ...env };
}
