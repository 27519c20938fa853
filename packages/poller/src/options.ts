import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Database } from "@berth/store";
import type { PollerTuning } from "./context.js";
import { PollerError } from "./errors.js";
import { createDefaultClient } from "./registry.js";
import type {
  Candidate,
  Clock,
  PollerLogger,
  RegistryClient,
  RegistryConnection,
} from "./types.js";

export interface PollerOptions {
  /** The store's database (`openDatabase(...).db`). */
  db: Database;
  /** Receives each new candidate after its deploy row is committed (the deploy queue). */
  onCandidate?: (candidate: Candidate) => void | Promise<void>;
  /** Creates a client for a registry; defaults to `createRegistry` of `@berth/registry`. */
  registries?: (registry: RegistryConnection) => RegistryClient;
  /** Decrypts `registries.token_encrypted`; required once any registry has a token. */
  decryptSecret?: (value: string) => string;
  logger?: PollerLogger;
  clock?: Clock;
  /** Returns a number in [0, 1), for jitter. */
  random?: () => number;
  /**
   * Name of this poller in `poll_state.locked_by`; unique per process by default. Two pollers
   * must not share one, because after a check fails on the store a poller releases every
   * lease held under its name that none of its own checks is using.
   */
  owner?: string;
  /**
   * How long a claimed stage stays leased to this poller; default 600. While a check runs, its
   * leases are renewed every third of this time. Another poller can take a stage of a running
   * check only after renewals stopped for a whole lease time (the process died, or the
   * database stayed unreachable).
   */
  leaseSeconds?: number;
  /** Timeout of one registry request; default 30. */
  requestTimeoutSeconds?: number;
  /** Images polled at once; default 8. */
  imageConcurrency?: number;
  /** Backoff after a stage's first failure, doubled per failure; default 60. */
  backoffBaseSeconds?: number;
  /** Maximum backoff; default 3600. */
  backoffCapSeconds?: number;
  /** Pause after a 429 that gave no usable `Retry-After`; default 60. */
  rateLimitFallbackSeconds?: number;
  /** Maximum pause a 429 can request; default 3600. */
  rateLimitCapSeconds?: number;
  /** How often the schedule settings are re-read, so a change applies without restart; default 30. */
  settingsCheckSeconds?: number;
  /** Wait before a webhook check tries again a stage another poller has leased; default 1. */
  busyRetrySeconds?: number;
  /** Retries of a webhook check for leased stages; default 5, 0 to report them at once. */
  busyRetries?: number;
}

/** Options after validation, with the defaults filled in. */
export interface ResolvedOptions {
  db: Database;
  onCandidate: (candidate: Candidate) => void | Promise<void>;
  registries: (registry: RegistryConnection) => RegistryClient;
  decryptSecret: ((value: string) => string) | undefined;
  logger: PollerLogger;
  clock: Clock;
  random: () => number;
  owner: string;
  tuning: PollerTuning;
  settingsCheckMs: number;
  busyRetryMs: number;
  busyRetries: number;
}

const silentLogger: PollerLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** The process's real clock and timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Validates `createPoller`'s options once, naming the option and what it accepts. */
export function resolveOptions(options: PollerOptions): ResolvedOptions {
  if (!options || typeof options.db?.transaction !== "function") {
    throw invalid("db", "must be the store's database (openDatabase(...).db)", options?.db);
  }
  for (const name of ["onCandidate", "registries", "decryptSecret", "random"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw invalid(name, "must be a function", options[name]);
    }
  }
  if (options.owner !== undefined && (typeof options.owner !== "string" || !options.owner)) {
    throw invalid("owner", "must be a non-empty string", options.owner);
  }

  return {
    db: options.db,
    onCandidate: options.onCandidate ?? (() => {}),
    registries: options.registries ?? createDefaultClient,
    decryptSecret: options.decryptSecret,
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    owner: options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    tuning: {
      leaseMs: seconds(options, "leaseSeconds", 600),
      requestTimeoutMs: seconds(options, "requestTimeoutSeconds", 30),
      imageConcurrency: count(options, "imageConcurrency", 8),
      backoffBaseMs: seconds(options, "backoffBaseSeconds", 60),
      backoffCapMs: seconds(options, "backoffCapSeconds", 3600),
      rateLimitFallbackMs: seconds(options, "rateLimitFallbackSeconds", 60),
      rateLimitCapMs: seconds(options, "rateLimitCapSeconds", 3600),
    },
    settingsCheckMs: seconds(options, "settingsCheckSeconds", 30),
    busyRetryMs: seconds(options, "busyRetrySeconds", 1),
    busyRetries: count(options, "busyRetries", 5, 0),
  };
}

type SecondsOption =
  | "leaseSeconds"
  | "requestTimeoutSeconds"
  | "backoffBaseSeconds"
  | "backoffCapSeconds"
  | "rateLimitFallbackSeconds"
  | "rateLimitCapSeconds"
  | "settingsCheckSeconds"
  | "busyRetrySeconds";

function seconds(options: PollerOptions, name: SecondsOption, fallback: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw invalid(name, "must be a positive number of seconds", value);
  }
  return value * 1000;
}

function count(
  options: PollerOptions,
  name: "imageConcurrency" | "busyRetries",
  fallback: number,
  minimum = 1,
): number {
  const value = options[name] ?? fallback;
  if (!Number.isInteger(value) || value < minimum || value > 256) {
    throw invalid(name, `must be a whole number from ${minimum} to 256`, value);
  }
  return value;
}

function invalid(option: string, rule: string, value: unknown): PollerError {
  return new PollerError(
    "invalid_option",
    `createPoller: option ${option} ${rule}, got ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (typeof value === "function") {
    return "a function";
  }
  if (typeof value === "number") {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `a ${typeof value}`;
  }
}
