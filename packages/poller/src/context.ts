import type { ClaimedStage, Database } from "@berth/store";
import type { LeaseBook } from "./leases.js";
import type { Observed } from "./stage-poll.js";
import type {
  Candidate,
  CheckTrigger,
  Clock,
  PollerCounters,
  PollerLogger,
  RegistryClient,
} from "./types.js";

/** Timings and limits of the poller, in milliseconds. */
export interface PollerTuning {
  leaseMs: number;
  requestTimeoutMs: number;
  imageConcurrency: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  rateLimitFallbackMs: number;
  rateLimitCapMs: number;
}

/** The poller state and dependencies one check runs with. */
export interface CheckContext {
  db: Database;
  owner: string;
  clock: Clock;
  random: () => number;
  logger: PollerLogger;
  counters: PollerCounters;
  tuning: PollerTuning;
  /** Registries paused after a 429, by registry id, until the time given. */
  pausedRegistries: Map<string, Date>;
  clientFor(registry: ClaimedStage["registry"]): RegistryClient;
  onCandidate(candidate: Candidate): void | Promise<void>;
  /** This process's leases, shared by all its checks. */
  leases: LeaseBook;
  /** Aborted when the poller stops: requests end, and unpolled stages are released. */
  signal: AbortSignal;
}

/** One run of a check: its trigger, when stages are due next on success, and its tallies. */
export interface CheckRun {
  trigger: CheckTrigger;
  nextDueAt: Date;
  /** The tag a webhook reported pushed: on a stage's first check it is a candidate. */
  pushedTag?: string | undefined;
  stages: number;
  candidates: number;
  errors: number;
  deferred: number;
  /** Polls that make no candidate, stored together when the check ends. */
  quiet: Observed[];
  /**
   * Stages whose result is stored, released or queued in `quiet`. A stage of an aborted image
   * that is not in it counts as an error.
   */
  settled: Set<string>;
}
