import {
  type ClaimedStage,
  insertCandidate,
  recordFirstPolls,
  recordPollSuccess,
  recordUnchangedPolls,
} from "@berth/store";
import type { CheckContext, CheckRun } from "./context.js";
import { type Observation, observe } from "./decisions.js";
import { PollerError } from "./errors.js";
import { failStages, leaseLost } from "./failure.js";
import { selectForStage } from "./registry.js";
import type { Candidate, ListedTags } from "./types.js";

/** Digest lookups of one image within one check, shared by the stages that watch it. */
export type DigestLookup = (tag: string) => Promise<string>;

/** The result of polling one stage, kept until it is stored. */
export interface Observed {
  stage: ClaimedStage;
  observation: Observation;
  reason: string;
}

/**
 * Polls the stages of one image against its tag list: each selects with its own patterns
 * and policy, resolves the digest and compares with its stored state. Each candidate is
 * stored at once, with its stage's state, in a transaction of its own. First polls and
 * stages with nothing new are kept in `run.quiet` for `commitQuiet`.
 */
export async function pollStages(
  context: CheckContext,
  run: CheckRun,
  stages: readonly ClaimedStage[],
  tags: ListedTags,
  digestOf: DigestLookup,
  undated?: string,
): Promise<void> {
  for (const stage of stages) {
    let observed: Observed;
    try {
      observed = await observeStage(stage, tags, digestOf, undated, run.pushedTag);
    } catch (error) {
      await failStages(context, run, [stage], error);
      continue;
    }
    if (observed.observation.kind === "new") {
      await commitCandidate(context, run, observed);
    } else {
      run.quiet.push(observed);
      run.settled.add(stage.stageId);
    }
  }
}

async function observeStage(
  stage: ClaimedStage,
  tags: ListedTags,
  digestOf: DigestLookup,
  undated: string | undefined,
  pushedTag: string | undefined,
): Promise<Observed> {
  const selection = await selectForStage(stage, tags, digestOf, undated);
  return {
    stage,
    observation: observe(stage.state, selection.selected, pushedTag),
    reason: selection.reason,
  };
}

/**
 * Stores, in one statement per kind, the stages whose poll makes no candidate: those with
 * nothing new and those polled for the first time.
 */
export async function commitQuiet(
  context: CheckContext,
  run: CheckRun,
  quiet: readonly Observed[],
): Promise<void> {
  const polledAt = context.clock.now();
  const unchanged = quiet.filter(({ observation }) => observation.kind === "unchanged");
  const first = quiet.flatMap(({ stage, observation }) =>
    observation.kind === "first"
      ? [{ stageId: stage.stageId, lastTag: observation.tag, lastDigest: observation.digest }]
      : [],
  );
  const common = { owner: context.owner, polledAt, nextDueAt: run.nextDueAt };
  const written = new Set([
    ...(await recordUnchangedPolls(context.db, {
      ...common,
      stageIds: unchanged.map(({ stage }) => stage.stageId),
    })),
    ...(await recordFirstPolls(context.db, { ...common, stages: first })),
  ]);

  for (const observed of quiet) {
    if (!written.has(observed.stage.stageId)) {
      leaseLost(context, observed.stage);
      continue;
    }
    run.stages += 1;
    context.counters.stagesPolled += 1;
    report(context, run, observed);
  }
}

/** Stores a change and its candidate in one transaction, then hands the candidate over. */
async function commitCandidate(context: CheckContext, run: CheckRun, observed: Observed) {
  const { stage, observation } = observed;
  if (observation.kind !== "new") {
    return;
  }

  let deployId: string | null;
  try {
    deployId = await context.db.transaction(async (tx) => {
      const leaseHeld = await recordPollSuccess(tx, {
        stageId: stage.stageId,
        owner: context.owner,
        lastTag: observation.tag,
        lastDigest: observation.digest,
        polledAt: context.clock.now(),
        nextDueAt: run.nextDueAt,
      });
      if (!leaseHeld) {
        // Throwing rolls the transaction back, so no candidate is written without the state.
        throw new PollerError("lease_lost", `lease on stage ${stage.stageId} was lost`);
      }
      return insertCandidate(tx, {
        stageId: stage.stageId,
        tag: observation.tag,
        digest: observation.digest,
        trigger: run.trigger,
        autoDeploy: stage.autoDeploy,
      });
    });
  } catch (error) {
    if (error instanceof PollerError && error.kind === "lease_lost") {
      run.settled.add(stage.stageId);
      leaseLost(context, stage);
      return;
    }
    await failStages(context, run, [stage], error);
    return;
  }

  run.settled.add(stage.stageId);
  run.stages += 1;
  context.counters.stagesPolled += 1;
  if (deployId) {
    await handOver(context, run, observed, deployId);
  } else {
    context.logger.debug(
      {
        stage: stage.stageId,
        image: stage.repository,
        tag: observation.tag,
        digest: observation.digest,
      },
      "candidate already recorded by an earlier detection",
    );
  }
}

function report(context: CheckContext, run: CheckRun, { stage, observation, reason }: Observed) {
  const fields = { stage: stage.stageId, image: stage.repository, trigger: run.trigger };
  if (observation.kind === "first") {
    context.logger.info({ ...fields, tag: observation.tag }, "first poll recorded the current tag");
  } else {
    context.logger.debug({ ...fields, reason }, "nothing new");
  }
}

/** Hands a committed candidate to the deploy queue; its deploy row is already stored. */
async function handOver(
  context: CheckContext,
  run: CheckRun,
  { stage, observation, reason }: Observed,
  deployId: string,
): Promise<void> {
  if (observation.kind !== "new") {
    return;
  }
  run.candidates += 1;
  context.counters.candidates += 1;
  context.logger.info(
    {
      stage: stage.stageId,
      image: stage.repository,
      trigger: run.trigger,
      tag: observation.tag,
      digest: observation.digest,
      deploy: deployId,
    },
    "new candidate",
  );

  const candidate: Candidate = {
    deployId,
    stageId: stage.stageId,
    projectSlug: stage.projectSlug,
    stageName: stage.stageName,
    repository: stage.repository,
    tag: observation.tag,
    digest: observation.digest,
    trigger: run.trigger,
    autoDeploy: stage.autoDeploy,
    reason,
  };
  try {
    await context.onCandidate(candidate);
  } catch (error) {
    context.logger.error(
      { stage: stage.stageId, deploy: deployId, err: error },
      "onCandidate failed; the deploy row stays for the queue to pick up",
    );
  }
}
