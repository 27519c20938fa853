import type { RegistryTag } from "@berth/registry";
import type { ClaimedStage, TagPolicy } from "@berth/store";

/** Time and timers, injected so tests move time forward instead of waiting. */
export interface Clock {
  now(): Date;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The subset of a pino logger the poller writes to: a fields object, then a fixed message. */
export interface PollerLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** A registry row with its token decrypted: what a registry client is created from. */
export interface RegistryConnection {
  id: string;
  name: string;
  type: ClaimedStage["registry"]["type"];
  url: string;
  username?: string;
  token?: string;
  /** Time limit of one request, from the poller's `requestTimeoutSeconds`. */
  timeoutMs: number;
}

/** An image's tags as a registry lists them, with creation times where it reports them. */
export type ListedTags = readonly RegistryTag[];

/** The calls the poller makes on a registry client. */
export interface RegistryClient {
  listTags(repository: string, options: { signal: AbortSignal }): Promise<ListedTags>;
  getDigest(repository: string, tag: string, options?: { signal?: AbortSignal }): Promise<string>;
  /**
   * Adds creation times to the listed tags that `filter` matches and that have none, for
   * newest stages. `undated` explains why some matching tags still have none.
   */
  addCreatedAt(
    repository: string,
    tags: ListedTags,
    options: { filter: { matches(tag: string): boolean }; signal: AbortSignal },
  ): Promise<{ tags: ListedTags; undated?: string | undefined }>;
  /** The pull allowance the registry last reported (`ratelimit-remaining`), if it sent one. */
  rateLimit?(): { remaining: number } | undefined;
}

/** The cause of a check: the schedule or a manual poll (`poll`), or a registry webhook. */
export type CheckTrigger = "poll" | "webhook";

/** A new tag (or a new digest of a watched tag) that became a deploy row. */
export interface Candidate {
  deployId: string;
  stageId: string;
  projectSlug: string;
  stageName: string;
  repository: string;
  tag: string;
  digest: string;
  trigger: CheckTrigger;
  autoDeploy: boolean;
  /** The selection's explanation, for the deploy log. */
  reason: string;
}

/** Counts of one check: a scheduled cycle, a manual poll or a webhook check. */
export interface CheckSummary {
  trigger: CheckTrigger;
  startedAt: Date;
  durationMs: number;
  /** Stages claimed and polled to a result, success or failure. */
  stages: number;
  images: number;
  candidates: number;
  errors: number;
  /** Stages left for later: their registry is paused after a 429, or the poller stopped. */
  deferred: number;
  /** Requested stages another poller has a lease on (stage checks and manual polls only). */
  busy: string[];
  /** Requested stages that do not exist (stage checks and manual polls only). */
  missing: string[];
}

/** The pull allowance a registry last reported to this poller's client, by registry name. */
export interface RegistryRateLimit {
  registry: string;
  remaining: number;
}

/** Running totals since the poller was created, for the metrics endpoint. */
export interface PollerCounters {
  cycles: number;
  stagesPolled: number;
  candidates: number;
  errors: number;
  rateLimited: number;
  leasesLost: number;
}

export type { TagPolicy };
