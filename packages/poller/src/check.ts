import { type ClaimedStage, findPolledStageIds } from "@berth/store";
import { linkAbort } from "./abort-link.js";
import type { CheckContext, CheckRun } from "./context.js";
import { deferStages, failStages } from "./failure.js";
import { forEachLimited } from "./limit.js";
import { newestStagesFilter } from "./registry.js";
import { commitQuiet, type DigestLookup, pollStages } from "./stage-poll.js";
import type { CheckSummary, CheckTrigger, ListedTags, RegistryClient } from "./types.js";

export interface CheckRequest {
  trigger: CheckTrigger;
  /** When polled stages are due again on success: the schedule's next fire time. */
  nextDueAt: Date;
  /** Check only these stages, due or not; without it, every due stage. */
  stageIds?: readonly string[];
  /** The tag a webhook reported pushed, which a stage's first check deploys if it selects it. */
  pushedTag?: string | undefined;
}

/** The stages of one image in one registry: its tags are listed once for all of them. */
interface ImageGroup {
  registry: ClaimedStage["registry"];
  repository: string;
  stages: ClaimedStage[];
}

/**
 * Runs one check: claims the stages (a lease each), lists each image's tags once, polls
 * every stage against them, and returns the counts. A failing stage or image is recorded
 * and the check goes on with the rest.
 */
export async function runCheck(
  context: CheckContext,
  request: CheckRequest,
): Promise<CheckSummary> {
  const startedAt = context.clock.now();
  const claimed = await context.leases.claim(context, {
    owner: context.owner,
    now: startedAt,
    leaseSeconds: context.tuning.leaseMs / 1000,
    ...(request.stageIds ? { stageIds: request.stageIds } : {}),
  });
  // The check's requests combine this signal, not the poller's, so what they leave on it is
  // collected with the check (see abort-link.ts).
  const link = linkAbort(context.signal);
  try {
    return await checkClaimed({ ...context, signal: link.signal }, request, startedAt, claimed);
  } catch (error) {
    context.leases.markLeftOver();
    throw error;
  } finally {
    link.release();
    context.leases.finish(claimed);
  }
}

async function checkClaimed(
  context: CheckContext,
  request: CheckRequest,
  startedAt: Date,
  claimed: ClaimedStage[],
): Promise<CheckSummary> {
  const run: CheckRun = {
    trigger: request.trigger,
    nextDueAt: request.nextDueAt,
    pushedTag: request.pushedTag,
    stages: 0,
    candidates: 0,
    errors: 0,
    deferred: 0,
    quiet: [],
    settled: new Set(),
  };
  const images = groupByImage(claimed);
  await forEachLimited(images, context.tuning.imageConcurrency, (image) =>
    pollImage(context, run, image),
  );
  await storeQuietPolls(context, run);

  const unclaimed = unclaimedStages(request.stageIds ?? [], claimed);
  const leased = new Set(await findPolledStageIds(context.db, unclaimed));
  const missing = unclaimed.filter((id) => !leased.has(id));
  if (missing.length > 0) {
    context.logger.warn({ stages: missing }, "stages to check not found");
  }
  return {
    trigger: request.trigger,
    startedAt,
    durationMs: context.clock.now().getTime() - startedAt.getTime(),
    stages: run.stages + run.errors,
    images: images.length,
    candidates: run.candidates,
    errors: run.errors,
    deferred: run.deferred,
    busy: unclaimed.filter((id) => leased.has(id)),
    missing,
  };
}

function unclaimedStages(requested: readonly string[], claimed: readonly ClaimedStage[]) {
  const claimedIds = new Set(claimed.map((stage) => stage.stageId));
  return requested.filter((id) => !claimedIds.has(id));
}

/** Stages per statement when storing quiet polls, to keep statements to a modest size. */
const QUIET_BATCH = 500;

/**
 * Stores the polls that made no candidate in a few statements for the whole check, which
 * costs far less than one per stage or per image. Their leases are released only then.
 */
async function storeQuietPolls(context: CheckContext, run: CheckRun): Promise<void> {
  for (let start = 0; start < run.quiet.length; start += QUIET_BATCH) {
    const batch = run.quiet.slice(start, start + QUIET_BATCH);
    try {
      await commitQuiet(context, run, batch);
    } catch (error) {
      // The next check releases these leases, so the stages are polled again then.
      context.leases.markLeftOver();
      countErrors(context, run, batch.length);
      context.logger.error(
        { stages: batch.length, err: error },
        "storing polls with nothing new failed",
      );
    }
  }
}

function groupByImage(stages: readonly ClaimedStage[]): ImageGroup[] {
  const groups = new Map<string, ImageGroup>();
  for (const stage of stages) {
    const key = `${stage.registry.id}\n${stage.repository}`;
    const group = groups.get(key);
    if (group) {
      group.stages.push(stage);
    } else {
      groups.set(key, { registry: stage.registry, repository: stage.repository, stages: [stage] });
    }
  }
  return [...groups.values()];
}

async function pollImage(context: CheckContext, run: CheckRun, image: ImageGroup): Promise<void> {
  try {
    await pollImageStages(context, run, image);
  } catch (error) {
    // Only the store can fail here, because pollStages records a stage's own errors. The
    // next check releases the leases, so this one goes on with the other images.
    context.leases.markLeftOver();
    const unsettled = image.stages.filter((stage) => !run.settled.has(stage.stageId));
    countErrors(context, run, unsettled.length);
    context.logger.error(
      {
        image: image.repository,
        registry: image.registry.name,
        stages: unsettled.length,
        err: error,
      },
      "poll of an image aborted",
    );
  }
}

/** Counts stages whose poll ended without a stored result, in the check and the totals. */
function countErrors(context: CheckContext, run: CheckRun, stages: number): void {
  run.errors += stages;
  context.counters.errors += stages;
}

async function pollImageStages(
  context: CheckContext,
  run: CheckRun,
  image: ImageGroup,
): Promise<void> {
  if (context.signal.aborted) {
    await deferStages(context, run, image.stages);
    return;
  }
  const pausedUntil = context.pausedRegistries.get(image.registry.id);
  if (pausedUntil && pausedUntil > context.clock.now()) {
    await deferStages(context, run, image.stages, pausedUntil);
    return;
  }

  let client: RegistryClient;
  let tags: ListedTags;
  let digestOf: DigestLookup;
  try {
    client = context.clientFor(image.registry);
    tags = await client.listTags(image.repository, { signal: requestSignal(context) });
    digestOf = memoize((tag) =>
      client.getDigest(image.repository, tag, { signal: requestSignal(context) }),
    );
  } catch (error) {
    await failStages(context, run, image.stages, error);
    return;
  }

  const dated = await dateForNewestStages(context, run, image, client, tags);
  await pollStages(context, run, dated.stages, dated.tags, digestOf, dated.undated);
}

/**
 * Adds creation times for the image's newest stages, once for all of them, because OCI tag
 * lists carry none and the newest policy skips a tag without one. When dating fails, only
 * the newest stages fail, and the others are polled with the undated list.
 */
async function dateForNewestStages(
  context: CheckContext,
  run: CheckRun,
  image: ImageGroup,
  client: RegistryClient,
  tags: ListedTags,
): Promise<{ stages: ClaimedStage[]; tags: ListedTags; undated?: string | undefined }> {
  const filter = newestStagesFilter(image.stages);
  if (filter === undefined) {
    return { stages: image.stages, tags };
  }
  try {
    const dated = await client.addCreatedAt(image.repository, tags, {
      filter,
      signal: requestSignal(context),
    });
    return { stages: image.stages, ...dated };
  } catch (error) {
    const newest = image.stages.filter((stage) => stage.policy.kind === "newest");
    await failStages(context, run, newest, error);
    return { stages: image.stages.filter((stage) => stage.policy.kind !== "newest"), tags };
  }
}

/**
 * Returns the signal of one registry request: aborted when the poller stops, or at twice
 * the request timeout in case a client does not enforce the timeout it was given.
 */
function requestSignal(context: CheckContext): AbortSignal {
  const backstopMs = 2 * context.tuning.requestTimeoutMs;
  return AbortSignal.any([context.signal, AbortSignal.timeout(backstopMs)]);
}

/** Resolves each tag's digest once per check, however many stages watch the tag. */
function memoize(lookup: DigestLookup): DigestLookup {
  const results = new Map<string, Promise<string>>();
  return (tag) => {
    let result = results.get(tag);
    if (!result) {
      result = lookup(tag);
      results.set(tag, result);
    }
    return result;
  };
}
