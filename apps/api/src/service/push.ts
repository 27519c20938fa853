import { parseImageReference } from "@berth/registry";
import { type Database, projects, registries, stages } from "@berth/store";
import { eq } from "drizzle-orm";
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
): (push: PushNotice) => Promise<PushOutcome> {
  return async (push) => {
    const tracking = await findStagePatternsTracking(db, push.image);
    const stageIds = tracking.map((stage) => stage.id);
    if (stageIds.length > 0) {
      await poller.checkStages(stageIds, { trigger: "webhook", pushedTag: push.tag });
    }
    return { matchedStages: stageIds.length, stagesTakingTag: stagesTaking(tracking, push.tag) };
  };
}

/**
 * Counts the stages whose patterns take `tag`, or returns undefined when a stored pattern
 * does not compile (a row saved before patterns were checked). The delivery is then recorded
 * by image alone, as before, rather than failing a push that the check already ran for.
 */
function stagesTaking(stages: Parameters<typeof countStagesTakingTag>[0], tag: string) {
  try {
    return countStagesTakingTag(stages, tag);
  } catch {
    return undefined;
  }
}

/** Stages of projects whose `registry host/repository` is `image` (already lowercase). */
export async function findStagesTracking(db: Database, image: string): Promise<string[]> {
  return (await findStagePatternsTracking(db, image)).map((stage) => stage.id);
}

/** The same stages as `findStagesTracking`, with their tag patterns. */
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
