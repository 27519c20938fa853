/**
 * @berth/poller: scheduled detection of new tags. `createPoller` claims the stages that are
 * due with a lease in `poll_state`, lists each image's tags once per cycle, selects per stage
 * with `@berth/registry`, and stores the new state with its candidate in one transaction.
 */
export {
  type BackoffOptions,
  backoffDelayMs,
  type Observation,
  observe,
  rateLimitPauseUntil,
  type StoredState,
} from "./decisions.js";
export { PollerError, type PollerErrorKind } from "./errors.js";
export { type PollerOptions, systemClock } from "./options.js";
export { createPoller, type Poller } from "./poller.js";
export { jitteredRunTime, nextFireTime, parseSchedule, type Schedule } from "./schedule.js";
export type {
  Candidate,
  CheckSummary,
  CheckTrigger,
  Clock,
  ListedTags,
  PollerCounters,
  PollerLogger,
  RegistryClient,
  RegistryConnection,
  RegistryRateLimit,
} from "./types.js";
