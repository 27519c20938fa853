/**
 * The demo's `dev` stage after dev-9, on the set-up `pnpm demo` uses: the embedded database,
 * the local registry, podman and the proxy stand-in. The stage orders tags by the number after
 * `dev-`, so dev-10 deploys after dev-9 when its webhook arrives, and dev-11 deploys when only
 * the poller finds it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, signIn } from "../src/api-client.js";
import { pushShop, runningInstances, waitForDeploy } from "../src/flow.js";
import { sendShopPush } from "../src/gitea-hook.js";
import { ADMIN_USER, type FlowRig, POLL_INTERVAL_SECONDS, startFlowRig } from "../src/rig.js";
import { configureFlow, type FlowSetup } from "../src/setup.js";

let rig: FlowRig;
let api: ApiClient;
let setup: FlowSetup;

beforeAll(async () => {
  rig = await startFlowRig({ embedded: true });
  api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  setup = await configureFlow(api, rig);
});

afterAll(async () => {
  await rig?.stop();
});

async function expectRunning(tag: string): Promise<void> {
  const running = await runningInstances(api, setup.dev.id);
  expect(running.map((instance) => instance.tag)).toEqual([tag]);
}

describe("demo dev stage", () => {
  it("uses the numeric policy", async () => {
    const { stage } = await api.get<{ stage: { policy: unknown } }>(`/stages/${setup.dev.id}`);

    expect(stage.policy).toEqual({ kind: "numeric" });
  });

  it("deploys dev-10 after dev-9 by webhook", async () => {
    await pushShop(rig, "dev-9");
    expect(await sendShopPush(rig, setup, "dev-9")).toBe(202);
    const nine = await waitForDeploy(api, setup.dev.id, "dev-9");
    expect(nine.status).toBe("succeeded");

    await pushShop(rig, "dev-10");
    expect(await sendShopPush(rig, setup, "dev-10")).toBe(202);
    const ten = await waitForDeploy(api, setup.dev.id, "dev-10");

    expect(ten.status).toBe("succeeded");
    await expectRunning("dev-10");
  });

  it("deploys dev-11 found by polling", async () => {
    await pushShop(rig, "dev-11");
    // No webhook: the poller checks the registry every POLL_INTERVAL_SECONDS.
    const eleven = await waitForDeploy(
      api,
      setup.dev.id,
      "dev-11",
      undefined,
      (POLL_INTERVAL_SECONDS + 45) * 1000,
    );

    expect(eleven.status).toBe("succeeded");
    await expectRunning("dev-11");
  });
});
