/**
 * The checks at the end of a soak run, as pure functions over the deploys the API lists,
 * so each can be tested on a table of rows.
 */
import type { ApiClient } from "./api-client.js";
import { type Deploy, FINISHED } from "./flow.js";

/** A (stage, tag, digest) the scenario pushed and announced, and whether it deploys for real. */
export interface AnnouncedCandidate {
  stageId: string;
  tag: string;
  digest: string;
  autoDeploy: boolean;
}

export interface SoakFindings {
  /** Keys `stage|tag|digest` with more than one deploy, and their counts. */
  duplicates: Array<{ key: string; count: number }>;
  /** Deploys neither finished nor waiting for approval. */
  unfinished: Deploy[];
  /** Announced candidates with no deploy at all. */
  missing: AnnouncedCandidate[];
  /** Auto-deploy candidates whose deploy did not succeed, with the status it ended in. */
  autoNotSucceeded: Array<{ candidate: AnnouncedCandidate; status: string; error: string | null }>;
  /** Deploys by status. */
  byStatus: Record<string, number>;
}

/** Lists every deploy, newest first, page by page. */
export async function listAllDeploys(api: ApiClient): Promise<Deploy[]> {
  const all: Deploy[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&before=${encodeURIComponent(cursor)}` : "";
    const page: { deploys: Deploy[]; nextCursor: string | null } = await api.get(
      `/deploys?limit=200${query}`,
    );
    all.push(...page.deploys);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Compares the deploys with the candidates the scenario announced. */
export function findSoakProblems(
  deploys: readonly Deploy[],
  announced: readonly AnnouncedCandidate[],
): SoakFindings {
  const counts = new Map<string, number>();
  const byKey = new Map<string, Deploy>();
  const byStatus: Record<string, number> = {};
  for (const deploy of deploys) {
    const key = candidateKey(deploy.stageId, deploy.tag, deploy.digest ?? "");
    counts.set(key, (counts.get(key) ?? 0) + 1);
    byKey.set(key, deploy);
    byStatus[deploy.status] = (byStatus[deploy.status] ?? 0) + 1;
  }

  const duplicates = [...counts]
    .filter(([, count]) => count > 1)
    .map(([key, count]) => ({ key, count }));
  const unfinished = deploys.filter(
    (deploy) => !FINISHED.has(deploy.status) && deploy.status !== "pending_approval",
  );
  const missing = announced.filter(
    (candidate) => !byKey.has(candidateKey(candidate.stageId, candidate.tag, candidate.digest)),
  );
  const autoNotSucceeded = announced.flatMap((candidate) => {
    const deploy = byKey.get(candidateKey(candidate.stageId, candidate.tag, candidate.digest));
    return candidate.autoDeploy && deploy && deploy.status !== "succeeded"
      ? [{ candidate, status: deploy.status, error: deploy.error }]
      : [];
  });
  return { duplicates, unfinished, missing, autoNotSucceeded, byStatus };
}

function candidateKey(stageId: string, tag: string, digest: string): string {
  return `${stageId}|${tag}|${digest}`;
}
