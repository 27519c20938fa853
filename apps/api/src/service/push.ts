import { parseImageReference } from "@berth/registry";
import { type Database, projects, registries, stages } from "@berth/store";
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import { countStagesTakingTag } from "../webhooks/tag-match.js";
import type { PushNotice, PushOutcome } from "../webhooks/types.js";

/**
 * The poller call a push needs: a check of the given stages as the webhook trigger, with
 * the pushed tag, so a stage checked for the first time deploys it instead of taking it as
 * the baseline.
 */
export interface StageChecker {
  checkStages(
    stageIds: readonly string[],
    options: { trigger: "webhook"; pushedTag: string },
  ): Promise<unknown>;
}

/**
 * Returns the webhook intake's `onPush`: finds the stages whose project tracks the pushed
 * image and has the poller check them, through the same candidate path a poll takes, so a
 * webhook and a poll of one tag make one deploy.
 */
export function pushHandler(
  db: Database,
  poller: StageChecker,
  logger?: Pick<Logger, "warn">,
): (push: PushNotice) => Promise<PushOutcome> {
  return async (push) => {
    const tracking = await findStagePatternsTracking(db, push.image);
    const stageIds = tracking.map((stage) => stage.id);
    if (stageIds.length > 0) {
      await poller.checkStages(stageIds, { trigger: "webhook", pushedTag: push.tag });
    }
    const stagesTakingTag = stagesTaking(tracking, push, logger);
    return { matchedStages: stageIds.length, stagesTakingTag };
  };
}

/**
 * Counts the stages whose patterns take the pushed tag. Returns undefined when a stored
 * pattern does not compile, which only a row saved before patterns were checked can hold.
 * The delivery is then recorded by image alone, and the push still counts.
 */
function stagesTaking(
  stages: Parameters<typeof countStagesTakingTag>[0],
  push: PushNotice,
  logger: Pick<Logger, "warn"> | undefined,
): number | undefined {
  try {
    return countStagesTakingTag(stages, push.tag);
  } catch (error) {
    logger?.warn(
      { image: push.image, tag: push.tag, delivery: push.deliveryId, err: error },
      "a stage's stored tag pattern does not compile; recording the delivery by image alone. Fix the pattern on the stage page",
    );
    return undefined;
  }
}

/** Stages of projects whose `registry host/repository` is `image` (already lowercase). */
export async function findStagesTracking(db: Database, image: string): Promise<string[]> {
  return (await findStagePatternsTracking(db, image)).map((stage) => stage.id);
}

/** Finds the same stages as `findStagesTracking`, with their tag patterns. */
async function findStagePatternsTracking(db: Database, image: string) {
  const rows = await db
    .select({
      id: stages.id,
      tagInclude: stages.tagInclude,
      tagExclude: stages.tagExclude,
      url: registries.url,
      type: registries.type,
      repository: projects.repository,
    })
    .from(stages)
    .innerJoin(projects, eq(stages.projectId, projects.id))
    .innerJoin(registries, eq(projects.registryId, registries.id));
  return rows.filter((row) => imageOf(row.type, row.url, row.repository) === image);
}

/**
 * The name images of a project carry, normalised as pushed images are: Docker Hub's hosts
 * become `docker.io` and single-part names gain `library/`.
 */
export function imageOf(type: string, url: string, repository: string): string {
  const host = type === "dockerhub" ? "docker.io" : new URL(url).host;
  const parsed = parseImageReference(`${host}/${repository}`);
  return `${parsed.registry}/${parsed.repository}`;
}
