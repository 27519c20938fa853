import { type ClaimedStage, pullDueTimesForward, readPollSettings } from "@berth/store";
import { checkRetryingBusy } from "./busy-retry.js";
import { runCheck } from "./check.js";
import type { CheckContext } from "./context.js";
import { PollerError } from "./errors.js";
import { createLeaseBook } from "./leases.js";
import { type PollerOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { Scheduler } from "./scheduler.js";
import type {
  CheckSummary,
  CheckTrigger,
  PollerCounters,
  RegistryClient,
  RegistryConnection,
  RegistryRateLimit,
} from "./types.js";

/** The poll loop of one Berth process. */
export interface Poller {
  /** Starts the schedule; a second call does nothing. */
  start(): void;
  /** Stops the schedule and aborts running checks; resolves when no check and no timer is left. */
  stop(): Promise<void>;
  /** Polls every due stage now, or the one stage given whether it is due or not. */
  pollNow(stageId?: string): Promise<CheckSummary>;
  /**
   * Checks the given stages now, as the webhook path does after a push: the same lease,
   * comparison and transaction as a poll, with the trigger recorded on the candidates.
   * With the `webhook` trigger (the default), stages leased to another poller are checked
   * again after `busyRetrySeconds`, up to `busyRetries` times. Those still leased then are
   * listed in the summary's `busy`, and the next cycle polls them. `pushedTag` is the tag the
   * push reported: a stage checked for the first time that selects it makes it a candidate,
   * where a first check otherwise only records what exists.
   */
  checkStages(
    stageIds: readonly string[],
    options?: { trigger?: CheckTrigger; pushedTag?: string | undefined },
  ): Promise<CheckSummary>;
  /** The summary of the last scheduled or manual cycle, if one ran. */
  lastSummary(): CheckSummary | undefined;
  /** Running totals since the poller was created. */
  counters(): PollerCounters;
  /**
   * The pull allowance each registry last reported to this poller, by registry name. A
   * registry that never sent `ratelimit-remaining` is left out.
   */
  rateLimits(): RegistryRateLimit[];
}

/**
 * Creates the poller: scheduled detection of new tags, with its state and leases in
 * `poll_state`. Invalid options throw a `PollerError` naming the option.
 */
export function createPoller(options: PollerOptions): Poller {
  const resolved = resolveOptions(options);
  const counters: PollerCounters = {
    cycles: 0,
    stagesPolled: 0,
    candidates: 0,
    errors: 0,
    rateLimited: 0,
    leasesLost: 0,
  };
  const pausedRegistries = new Map<string, Date>();
  const clients = registryClients(resolved);
  const leases = createLeaseBook();
  const clientFor = clients.clientFor;
  const inFlight = new Set<Promise<unknown>>();
  let abort = new AbortController();
  let summary: CheckSummary | undefined;
  let cycleQueue: Promise<unknown> = Promise.resolve();

  const context = (): CheckContext => ({
    db: resolved.db,
    owner: resolved.owner,
    clock: resolved.clock,
    random: resolved.random,
    logger: resolved.logger,
    counters,
    tuning: resolved.tuning,
    pausedRegistries,
    clientFor,
    onCandidate: resolved.onCandidate,
    leases,
    signal: abort.signal,
  });

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    const forget = () => inFlight.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  // Full cycles run one after another; webhook checks run beside them, kept apart by leases.
  const cycle = (nextDueAt: Date, stageIds?: readonly string[]): Promise<CheckSummary> => {
    const result = cycleQueue.then(async () => {
      const checked = await runCheck(context(), {
        trigger: "poll",
        nextDueAt,
        ...(stageIds ? { stageIds } : {}),
      });
      summary = checked;
      counters.cycles += 1;
      logSummary(resolved, checked, "poll cycle finished");
      return checked;
    });
    cycleQueue = result.catch(() => undefined);
    return track(result);
  };

  const scheduler = new Scheduler({
    clock: resolved.clock,
    random: resolved.random,
    logger: resolved.logger,
    settingsCheckMs: resolved.settingsCheckMs,
    readSettings: () => readPollSettings(resolved.db),
    runCycle: (nextDueAt) => cycle(nextDueAt).then(() => undefined),
    pullDueTimesForward: async (dueBy) => {
      const moved = await pullDueTimesForward(resolved.db, dueBy);
      if (moved > 0) {
        resolved.logger.info({ stages: moved, dueBy }, "stage due times moved to the new schedule");
      }
    },
    track,
  });

  return {
    start: () => scheduler.start(),

    async stop() {
      scheduler.stop();
      abort.abort();
      while (inFlight.size > 0) {
        await Promise.allSettled([...inFlight]);
      }
      abort = new AbortController();
    },

    async pollNow(stageId) {
      if (stageId !== undefined) {
        validateStageIds("pollNow", [stageId]);
      }
      const nextDueAt = await scheduler.nextFireTime();
      return cycle(nextDueAt, stageId === undefined ? undefined : [stageId]);
    },

    async checkStages(stageIds, checkOptions) {
      validateStageIds("checkStages", stageIds);
      const trigger = checkOptions?.trigger ?? "webhook";
      if (trigger !== "webhook" && trigger !== "poll") {
        throw new PollerError(
          "invalid_option",
          `checkStages: trigger must be "webhook" or "poll", got ${JSON.stringify(trigger)}`,
        );
      }
      const nextDueAt = await scheduler.nextFireTime();
      const pushedTag = checkOptions?.pushedTag;
      validatePushedTag(pushedTag, trigger);
      const check = (ids: readonly string[]) =>
        runCheck(context(), { trigger, nextDueAt, stageIds: ids, pushedTag });
      const checked = await track(
        trigger === "webhook"
          ? checkRetryingBusy(check, [...new Set(stageIds)], {
              retries: resolved.busyRetries,
              waitMs: resolved.busyRetryMs,
              clock: resolved.clock,
              signal: abort.signal,
            })
          : check([...new Set(stageIds)]),
      );
      logSummary(resolved, checked, "stage check finished");
      return checked;
    },

    lastSummary: () => summary,
    counters: () => ({ ...counters }),
    rateLimits: clients.rateLimits,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validateStageIds(method: string, stageIds: unknown): void {
  if (!Array.isArray(stageIds)) {
    throw new PollerError(
      "invalid_option",
      `${method}: stage ids must be an array of stage UUIDs, got ${typeof stageIds}`,
    );
  }
  const invalid = stageIds.find((id) => typeof id !== "string" || !UUID.test(id));
  if (invalid !== undefined) {
    throw new PollerError(
      "invalid_option",
      `${method}: stage id ${JSON.stringify(invalid)} is not a UUID; pass the id of a stage row`,
    );
  }
}

function validatePushedTag(pushedTag: unknown, trigger: CheckTrigger): void {
  if (pushedTag === undefined) {
    return;
  }
  if (typeof pushedTag !== "string" || pushedTag === "") {
    throw new PollerError(
      "invalid_option",
      `checkStages: pushedTag must be a non-empty tag name, got ${JSON.stringify(pushedTag)}`,
    );
  }
  if (trigger !== "webhook") {
    throw new PollerError(
      "invalid_option",
      `checkStages: pushedTag ${JSON.stringify(pushedTag)} comes with the "webhook" trigger only; drop it for a "poll" check`,
    );
  }
}

/** Writes the one info line of a cycle or a check, with its counts. */
function logSummary(
  resolved: ResolvedOptions,
  summary: CheckSummary,
  message: "poll cycle finished" | "stage check finished",
): void {
  const { startedAt: _startedAt, busy, missing, ...counts } = summary;
  resolved.logger.info({ ...counts, busy: busy.length, missing: missing.length }, message);
}

/**
 * Creates one client per registry and keeps it while the registry row is unchanged. The
 * kept clients also give each registry's last reported pull allowance.
 */
function registryClients(resolved: ResolvedOptions): {
  clientFor(registry: ClaimedStage["registry"]): RegistryClient;
  rateLimits(): RegistryRateLimit[];
} {
  const clients = new Map<string, { version: number; name: string; client: RegistryClient }>();
  return {
    clientFor(registry) {
      const cached = clients.get(registry.id);
      if (cached && cached.version === registry.updatedAt.getTime()) {
        return cached.client;
      }
      const client = resolved.registries(connectionOf(resolved, registry));
      clients.set(registry.id, {
        version: registry.updatedAt.getTime(),
        name: registry.name,
        client,
      });
      return client;
    },

    rateLimits() {
      return [...clients.values()].flatMap(({ name, client }) => {
        const remaining = client.rateLimit?.()?.remaining;
        return remaining === undefined ? [] : [{ registry: name, remaining }];
      });
    },
  };
}

function connectionOf(
  resolved: ResolvedOptions,
  registry: ClaimedStage["registry"],
): RegistryConnection {
  const connection: RegistryConnection = {
    id: registry.id,
    name: registry.name,
    type: registry.type,
    url: registry.url,
    timeoutMs: resolved.tuning.requestTimeoutMs,
  };
  if (registry.username) {
    connection.username = registry.username;
  }
  if (registry.tokenEncrypted) {
    if (!resolved.decryptSecret) {
      throw new PollerError(
        "missing_decrypt_secret",
        `registry ${registry.name} has a token, but the poller was created without decryptSecret; pass the store's decryptSecret to createPoller`,
      );
    }
    connection.token = resolved.decryptSecret(registry.tokenEncrypted);
  }
  return connection;
}
