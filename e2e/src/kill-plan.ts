/**
 * The plan of a SIGKILL loop: per round, the tag to push, the kind of image, the deploy step
 * the kill aims at and the random delay after that step begins. A pure function of the
 * kill count and the seed, so a failing run can be repeated exactly.
 */

/** Deploy steps a kill aims at, in pipeline order. */
export const KILL_STEPS = ["pull", "create", "start", "health", "proxy", "retire"] as const;
export type KillStep = (typeof KILL_STEPS)[number];

/**
 * `good` serves /health at once. `slow-start` serves it after 3 s, so the health gate waits.
 * `broken` never serves it, so the gate fails after the stage's 8 s timeout.
 */
export type ImageKind = "good" | "slow-start" | "broken";

export interface RoundPlan {
  tag: string;
  kind: ImageKind;
  target: KillStep;
  /** Milliseconds between seeing the deploy in `target` and sending SIGKILL. */
  delayMs: number;
  /** `poll` leaves the tag to the poller, so the detection path differs from round to round. */
  announce: "webhook" | "poll";
}

/**
 * Upper bound of the random delay per step, in ms, set near how long the step lasts on the
 * e2e rig. Pull, create, start and proxy took tens of ms there, while the health gate and
 * retire take seconds. So the kill usually lands inside the aimed step, sometimes in the next.
 * NOTE: on a slower engine the kills drift to earlier steps; the kill points record where.
 */
const MAX_DELAY_MS: Record<KillStep, number> = {
  pull: 60,
  create: 30,
  start: 30,
  health: 2500,
  proxy: 15,
  retire: 3000,
};

/**
 * Plans `kills` rounds; tags run `dev-001`, `dev-002`, … so alphabetical order is push order.
 * `targets` fixes the aimed step of each round, in order, instead of drawing it.
 */
export function planRounds(
  kills: number,
  seed: number,
  targets?: readonly KillStep[],
): RoundPlan[] {
  if (!Number.isInteger(kills) || kills < 1) {
    throw new Error(`planRounds: kills must be a positive integer, got ${kills}`);
  }
  if (targets && targets.length !== kills) {
    throw new Error(
      `planRounds: targets must name one step per kill (${kills}), got ${targets.length}`,
    );
  }
  const random = seededRandom(seed);
  const plans: RoundPlan[] = [];
  for (let round = 1; round <= kills; round += 1) {
    const drawn = pick(random, KILL_STEPS);
    const target = targets?.[round - 1] ?? drawn;
    plans.push({
      tag: `dev-${String(round).padStart(3, "0")}`,
      kind: pick(random, kindsReaching(target)),
      target,
      delayMs: Math.floor(random() * MAX_DELAY_MS[target]),
      announce: random() < 0.25 ? "poll" : "webhook",
    });
  }
  return plans;
}

/** Image kinds whose deploy gets as far as `step`: only a healthy image reaches the proxy. */
function kindsReaching(step: KillStep): readonly ImageKind[] {
  if (step === "proxy" || step === "retire") return ["good"];
  if (step === "health") return ["slow-start", "broken"];
  return ["good", "slow-start", "broken"];
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick: no items to pick from");
  return item;
}

/** Returns a generator of floats in [0, 1): mulberry32, a small PRNG that is enough for test plans. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
