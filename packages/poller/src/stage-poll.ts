import { type ClaimedStage, insertCandidate, recordPollSuccess } from "@berth/store";
import type { CheckContext, CheckRun } from "./context.js";
import { type Observation, observe } from "./decisions.js";
import { PollerError } from "./errors.js";
import { failStages } from "./failure.js";
import { selectForStage } from "./registry.js";
import type { Candidate, RegistryClient } from "./types.js";

type ListedTags = Awaited<ReturnType<RegistryClient["listTags"]>>;

/** Digest lookups of one image within one check, shared by the stages that watch it. */
export type DigestLookup = (tag: string) => Promise<string>;

/**
 * Polls one stage against its image's tag list: select, resolve the digest, compare with
 * the stored state, then store the new state and any candidate in one transaction.
 */
export async function pollStage(
  context: CheckContext,
  run: CheckRun,
  stage: ClaimedStage,
  tags: ListedTags,
  digestOf: DigestLookup,
): Promise<void> {
  try {
    const selection = selectForStage(stage, tags);
    const selected = selection.selected
      ? { tag: selection.selected, digest: await digestOf(selection.selected) }
      : null;
    const observation = observe(stage.state, selected);
    await commit(context, run, stage, observation, selection.reason);
  } catch (error) {
    if (error instanceof PollerError && error.kind === "lease_lost") {
      context.counters.leasesLost += 1;
      context.logger.warn(
        { stage: stage.stageId, owner: context.owner },
        "poll lease lost before the result was stored; another poller owns the stage now",
      );
      return;
    }
    await failStages(context, run, [stage], error);
  }
}

async function commit(
  context: CheckContext,
  run: CheckRun,
  stage: ClaimedStage,
  observation: Observation,
  reason: string,
): Promise<void> {
  const seen =
    observation.kind === "unchanged"
      ? { tag: stage.state.lastTag, digest: stage.state.lastDigest }
      : observation;

  const deployId = await context.db.transaction(async (tx) => {
    const held = await recordPollSuccess(tx, {
      stageId: stage.stageId,
      owner: context.owner,
      lastTag: seen.tag,
      lastDigest: seen.digest,
      polledAt: context.clock.now(),
      nextDueAt: run.nextDueAt,
    });
    if (!held) {
      // Throwing rolls the transaction back, so no candidate is written without the state.
      throw new PollerError("lease_lost", `lease on stage ${stage.stageId} was lost`);
    }
    if (observation.kind !== "new") {
      return null;
    }
    return insertCandidate(tx, {
      stageId: stage.stageId,
      tag: observation.tag,
      digest: observation.digest,
      trigger: run.trigger,
      autoDeploy: stage.autoDeploy,
    });
  });

  run.stages += 1;
  context.counters.stagesPolled += 1;
  await report(context, run, stage, observation, reason, deployId);
}

async function report(
  context: CheckContext,
  run: CheckRun,
  stage: ClaimedStage,
  observation: Observation,
  reason: string,
  deployId: string | null,
): Promise<void> {
  const fields = { stage: stage.stageId, image: stage.repository, trigger: run.trigger };
  if (observation.kind === "first") {
    context.logger.info({ ...fields, tag: observation.tag }, "first poll recorded the current tag");
    return;
  }
  if (observation.kind === "unchanged") {
    context.logger.debug({ ...fields, reason }, "nothing new");
    return;
  }
  if (!deployId) {
    context.logger.debug(
      { ...fields, tag: observation.tag, digest: observation.digest },
      "candidate already recorded by an earlier detection",
    );
    return;
  }

  run.candidates += 1;
  context.counters.candidates += 1;
  context.logger.info(
    { ...fields, tag: observation.tag, digest: observation.digest, deploy: deployId },
    "new candidate",
  );
  await handOver(context, {
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
  });
}

/** Hands a committed candidate to the deploy queue; its deploy row is already stored. */
async function handOver(context: CheckContext, candidate: Candidate): Promise<void> {
  try {
    await context.onCandidate(candidate);
  } catch (error) {
    context.logger.error(
      { stage: candidate.stageId, deploy: candidate.deployId, err: error },
      "onCandidate failed; the deploy row stays for the queue to pick up",
    );
  }
}
