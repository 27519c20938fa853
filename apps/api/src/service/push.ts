import { parseImageReference } from "@berth/registry";
import { type Database, projects, registries, stages } from "@berth/store";
import { eq } from "drizzle-orm";
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
    const stageIds = await findStagesTracking(db, push.image);
    if (stageIds.length > 0) {
      await poller.checkStages(stageIds, { trigger: "webhook", pushedTag: push.tag });
    }
    return { matchedStages: stageIds.length };
  };
}

/** Stages of projects whose `registry host/repository` is `image` (already lowercase). */
export async function findStagesTracking(db: Database, image: string): Promise<string[]> {
  const rows = await db
    .select({
      stageId: stages.id,
      url: registries.url,
      type: registries.type,
      repository: projects.repository,
    })
    .from(stages)
    .innerJoin(projects, eq(stages.projectId, projects.id))
    .innerJoin(registries, eq(projects.registryId, registries.id));
  return rows
    .filter((row) => imageOf(row.type, row.url, row.repository) === image)
    .map((row) => row.stageId);
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
