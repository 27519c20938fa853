/**
 * Registry faults under a running `berth serve`: one registry refuses, stalls beyond Berth's
 * registry timeout, or returns 429. Only its stage backs off, and the stages API shows the
 * reason and the next attempt. The other registry's stage keeps deploying what the poller finds.
 */
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, signIn } from "../src/api-client.js";
import type { FaultMode } from "../src/fault-forwarder.js";
import {
  configureCart,
  type FlakyRegistry,
  pushCart,
  startFlakyRegistry,
} from "../src/fault-registry.js";
import { type PollStatus, stagePoll, waitForPoll } from "../src/fault-stage.js";
import { type Deploy, pushShop, runningInstances, waitForDeploy } from "../src/flow.js";
import { sendGiteaPush } from "../src/gitea-hook.js";
import { ADMIN_USER, type FlowRig, startFlowRig } from "../src/rig.js";
import { configureFlow, type FlowSetup, type Stage } from "../src/setup.js";

/** Berth's registry timeout in this file, short so a stall costs seconds. */
const REGISTRY_TIMEOUT_SECONDS = 3;
/** Backoff after a stage's first failed poll: 60 s scaled by a jitter factor in [0.5, 1). */
const MIN_FIRST_BACKOFF_MS = 30_000;
/** Longer than any first backoff, so the pause it requests shows in the next attempt. */
const RETRY_AFTER_SECONDS = 90;

let flaky: FlakyRegistry;
let rig: FlowRig;
let api: ApiClient;
let setup: FlowSetup;
let cart: Stage;

beforeAll(async () => {
  flaky = await startFlakyRegistry();
  rig = await startFlowRig({
    insecureRegistries: [flaky.forwarder.host],
    berthEnv: { BERTH_REGISTRY_TIMEOUT_SECONDS: String(REGISTRY_TIMEOUT_SECONDS) },
  });
  api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  // Both stages start with a tag, so their first poll records it as the baseline.
  await pushShop(rig, "dev-0");
  await pushCart(flaky, "dev-0");
  setup = await configureFlow(api, rig);
  cart = await configureCart(api, flaky);
}, 180_000);

afterAll(async () => {
  if (process.env.BERTH_E2E_LOG) {
    await writeFile(process.env.BERTH_E2E_LOG, rig?.output() ?? "");
  }
  await rig?.stop();
  await flaky?.stop();
});

function cartHook(tag: string): Promise<number> {
  return sendGiteaPush({
    berthUrl: rig.berth.url,
    secret: setup.giteaSecret,
    registryHost: flaky.forwarder.host,
    owner: "acme",
    name: "cart",
    tag,
  });
}

/**
 * Puts the flaky registry in `mode`, pushes `shopTag` to the healthy one, and waits until the
 * poller deployed it and recorded the flaky registry's failure on the cart stage.
 */
async function faultWhileShopDeploys(
  mode: FaultMode,
  shopTag: string,
): Promise<{ shopDeploy: Deploy; cartPoll: PollStatus }> {
  const faultFrom = Date.now();
  await flaky.forwarder.setMode(mode, { retryAfterSeconds: RETRY_AFTER_SECONDS });
  await pushShop(rig, shopTag);

  const shopDeploy = await waitForDeploy(api, setup.dev.id, shopTag, undefined, 60_000);
  const cartPoll = await waitForPoll(
    api,
    cart.id,
    `the cart stage to record the ${mode} failure`,
    (poll) => poll.lastErrorAt !== null && Date.parse(poll.lastErrorAt) >= faultFrom,
  );
  return { shopDeploy, cartPoll };
}

async function expectShopHealthy(shopDeploy: Deploy, tag: string): Promise<void> {
  expect(shopDeploy).toMatchObject({ status: "succeeded", trigger: "poll" });
  expect((await runningInstances(api, setup.dev.id)).map((i) => i.tag)).toEqual([tag]);
  const shopPoll = await stagePoll(api, setup.dev.id);
  expect(shopPoll?.lastError).toBeNull();
  expect(shopPoll?.failureStreak).toBe(0);
}

function backoffMs(poll: PollStatus): number {
  return Date.parse(poll.nextDueAt) - Date.parse(poll.lastErrorAt ?? "");
}

/**
 * Brings the registry back and pushes `tag` to it. The push's webhook check clears the
 * stage's error at once, without waiting out the backoff, and deploys the tag through the
 * forwarder. A new tag each time, because Berth drops a repeated push of a recent tag.
 */
async function recoverCart(tag: string): Promise<{ poll: PollStatus; deploy: Deploy }> {
  await flaky.forwarder.setMode("pass");
  await pushCart(flaky, tag);
  expect(await cartHook(tag)).toBe(202);
  const poll = await waitForPoll(
    api,
    cart.id,
    "the cart stage's error to clear",
    (p) => !p.lastError,
  );
  return { poll, deploy: await waitForDeploy(api, cart.id, tag) };
}

describe("registry faults", () => {
  it("both stages record their baseline", async () => {
    for (const stage of [setup.dev, cart]) {
      const poll = await waitForPoll(api, stage.id, `the first poll of ${stage.id}`, (p) =>
        Boolean(p.lastPolledAt),
      );
      expect(poll.lastError).toBeNull();
    }
  });

  it("refused registry backs off alone", async () => {
    const { shopDeploy, cartPoll } = await faultWhileShopDeploys("refuse", "dev-1");

    await expectShopHealthy(shopDeploy, "dev-1");
    expect(cartPoll.lastError).toMatch(/^could not reach registry flaky for GET \/v2\//);
    expect(cartPoll.lastError).toContain(`ECONNREFUSED ${flaky.forwarder.host}`);
    expect(cartPoll.lastError).toMatch(/check the URL and that the registry is running$/);
    expect(cartPoll.failureStreak).toBeGreaterThanOrEqual(1);
    expect(backoffMs(cartPoll)).toBeGreaterThanOrEqual(MIN_FIRST_BACKOFF_MS);

    const recovered = await recoverCart("dev-1");
    expect(recovered.poll.failureStreak).toBe(0);
    expect(recovered.deploy).toMatchObject({ status: "succeeded", trigger: "webhook" });
  });

  it("stalled registry times out and backs off alone", async () => {
    const { shopDeploy, cartPoll } = await faultWhileShopDeploys("stall", "dev-2");

    await expectShopHealthy(shopDeploy, "dev-2");
    expect(cartPoll.lastError).toMatch(
      new RegExp(
        `^registry flaky did not respond to GET /v2/\\S* within ${REGISTRY_TIMEOUT_SECONDS * 1000} ms: check that it is up, or raise the timeout$`,
      ),
    );
    expect(backoffMs(cartPoll)).toBeGreaterThanOrEqual(MIN_FIRST_BACKOFF_MS);
    expect(flaky.forwarder.counts().stall).toBeGreaterThan(0);

    const recovered = await recoverCart("dev-2");
    expect(recovered.poll.failureStreak).toBe(0);
    expect(recovered.deploy).toMatchObject({ status: "succeeded", trigger: "webhook" });
  });

  it("rate-limited registry waits its Retry-After", async () => {
    const { shopDeploy, cartPoll } = await faultWhileShopDeploys("rate-limit", "dev-3");

    await expectShopHealthy(shopDeploy, "dev-3");
    expect(cartPoll.lastError).toMatch(/^registry flaky rate-limited .*acme\/cart \(429/);
    expect(cartPoll.lastError).toContain(`retry after ${RETRY_AFTER_SECONDS} s`);
    expect(backoffMs(cartPoll)).toBeGreaterThanOrEqual(RETRY_AFTER_SECONDS * 1000);
    const { stages } = await api.get<{ stages: Array<{ id: string; poll: PollStatus | null }> }>(
      "/stages",
    );
    expect(stages.find((stage) => stage.id === cart.id)?.poll).toEqual(cartPoll);
  });
});
