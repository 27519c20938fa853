/**
 * The shape of the soak scenario: which image repositories exist, how many stages watch
 * each, which repositories have an auto-deploy stage, and which repositories get a new tag
 * in each round. Pure, so the test and the bench plan the same way.
 */

/** One image repository with its project and stages. */
export interface SoakRepository {
  /** Repository name under the `soak` owner, e.g. `app-007`. */
  name: string;
  /** Stages of the repository's project; each watches every tag of the image. */
  stages: number;
  /** Whether the project's first stage deploys for real; its other stages wait for approval. */
  autoDeploy: boolean;
}

export const SOAK_OWNER = "soak";

/** The tag every repository has before the first round; the stages' first poll records it. */
export const BASE_TAG = "1.0.0";

/**
 * Spreads `stages` over `repositories` as evenly as possible and gives the first
 * `autoDeployStages` repositories one auto-deploy stage each.
 */
export function planRepositories(
  stages: number,
  repositories: number,
  autoDeployStages: number,
): SoakRepository[] {
  if (!Number.isInteger(repositories) || repositories < 1) {
    throw new Error(`soak repositories is ${repositories}: use a whole number of 1 or more`);
  }
  if (!Number.isInteger(stages) || stages < repositories) {
    throw new Error(
      `soak stages is ${stages}: use a whole number at least the repository count (${repositories})`,
    );
  }
  if (!Number.isInteger(autoDeployStages) || autoDeployStages < 0) {
    throw new Error(
      `soak autoDeployStages is ${autoDeployStages}: use a whole number of 0 or more`,
    );
  }
  if (autoDeployStages > repositories) {
    throw new Error(
      `soak autoDeployStages is ${autoDeployStages}: use at most one per repository (${repositories})`,
    );
  }

  const perRepository = Math.floor(stages / repositories);
  const remainder = stages % repositories;
  return Array.from({ length: repositories }, (_, index) => ({
    name: `app-${String(index).padStart(3, "0")}`,
    stages: perRepository + (index < remainder ? 1 : 0),
    autoDeploy: index < autoDeployStages,
  }));
}

/** Returns the tag pushed in `round` (counted from 0). Semver grows each round, so it is the newest. */
export function roundTag(round: number): string {
  return `1.${round + 1}.0`;
}

/**
 * Returns the indexes of the repositories that get a new tag in `round`: `autoTags` of the
 * auto-deploy repositories and the rest of `tags` from the others, each group taken in turn
 * from where the previous round stopped. A repository appears at most once per round, so no
 * stage gets two new tags before its check, which would skip the older one.
 */
export function planRound(
  round: number,
  repositories: readonly SoakRepository[],
  tags: number,
  autoTags: number,
): number[] {
  const auto = repositories.flatMap((repository, index) => (repository.autoDeploy ? [index] : []));
  const others = repositories.flatMap((repository, index) =>
    repository.autoDeploy ? [] : [index],
  );
  const autoCount = Math.min(autoTags, auto.length, tags);
  const otherCount = Math.min(tags - autoCount, others.length);
  return [...takeInTurn(auto, round, autoCount), ...takeInTurn(others, round, otherCount)];
}

function takeInTurn(pool: readonly number[], round: number, count: number): number[] {
  const start = (round * count) % Math.max(pool.length, 1);
  return Array.from({ length: count }, (_, offset) => pool[(start + offset) % pool.length] ?? 0);
}

/** Splits `deliveries` over `tags` as evenly as possible, as Gitea sends several per push. */
export function deliveriesPerTag(deliveries: number, tags: number): number[] {
  if (tags === 0) {
    return [];
  }
  const each = Math.floor(deliveries / tags);
  const remainder = deliveries % tags;
  return Array.from({ length: tags }, (_, index) => each + (index < remainder ? 1 : 0));
}

/** Returns the median of `values`, or undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) {
    return undefined;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/**
 * Compares memory late in the run with memory after warm-up: the median of the last tenth
 * of the samples divided by the median of the second tenth. Near 1 means flat. Undefined
 * with fewer than 20 samples, since a tenth would then contain fewer than two.
 */
export function flatnessRatio(samples: readonly number[]): number | undefined {
  if (samples.length < 20) {
    return undefined;
  }
  const tenth = Math.floor(samples.length / 10);
  const warm = median(samples.slice(tenth, 2 * tenth));
  const late = median(samples.slice(samples.length - tenth));
  return warm && late !== undefined ? late / warm : undefined;
}
