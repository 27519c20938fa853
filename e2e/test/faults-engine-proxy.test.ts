/**
 * The engine socket and Nginx Proxy Manager going away under a running `berth serve`. The
 * deploy in flight fails with an error that names the part and what to check. Its container
 * goes, at once or once the engine is back, and the instance that was running keeps serving
 * behind an unchanged proxy host.
 */
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDisagreements } from "../src/agreement.js";
import { type ApiClient, signIn } from "../src/api-client.js";
import { listContainers } from "../src/engine.js";
import { type FaultForwarder, startFaultForwarder } from "../src/fault-forwarder.js";
import { deployLogMessages, waitForPoll, waitForStep } from "../src/fault-stage.js";
import {
  fetchFrom,
  type Instance,
  listInstances,
  pushShop,
  runningInstances,
  waitForDeploy,
} from "../src/flow.js";
import { sendShopPush } from "../src/gitea-hook.js";
import { ADMIN_USER, type FlowRig, startFlowRig } from "../src/rig.js";
import { configureFlow, type FlowSetup } from "../src/setup.js";
import { waitFor } from "../src/wait.js";

let rig: FlowRig;
let api: ApiClient;
let setup: FlowSetup;
let npmForwarder: FaultForwarder;

beforeAll(async () => {
  rig = await startFlowRig();
  api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  setup = await configureFlow(api, rig);
  // Berth reaches the stand-in through the forwarder, so the test can cut it and bring it
  // back with its proxy hosts intact.
  npmForwarder = await startFaultForwarder(rig.npm.url);
  await api.patch("/settings", { npmUrl: npmForwarder.url });
});

afterAll(async () => {
  if (process.env.BERTH_E2E_LOG) {
    await writeFile(process.env.BERTH_E2E_LOG, rig?.output() ?? "");
  }
  await npmForwarder?.stop();
  await rig?.stop();
});

function hook(tag: string): Promise<number> {
  return sendShopPush(rig, setup, tag);
}

async function onlyRunning(): Promise<Instance> {
  const running = await runningInstances(api, setup.dev.id);
  expect(running).toHaveLength(1);
  return running[0]!;
}

/** Checks that the instance serves on its published port and the proxy host forwards to it. */
async function expectServing(instance: Instance, tag: string): Promise<void> {
  const reply = await fetchFrom(instance.upstreamHost!, instance.upstreamPort!, "/");
  expect(reply.body.trim()).toBe(`shop ${tag}`);
  const host = rig.npm.proxyHosts().find((h) => h.id === instance.proxyHostId);
  expect(host?.domain_names).toEqual([instance.domain]);
  expect([host?.forward_host, host?.forward_port]).toEqual([
    instance.upstreamHost,
    instance.upstreamPort,
  ]);
}

async function deployContainers(deployId: string) {
  return listContainers(rig.podman.socketPath, `berth.deploy=${deployId}`);
}

describe("engine and proxy manager faults", () => {
  it("deploys dev-1 as the instance to keep", async () => {
    // The stage's first poll finds no image yet (404) and backs off for at least 30 s, so no
    // poll takes dev-1 as the stage's baseline before the webhook's check deploys it.
    await waitForPoll(api, setup.dev.id, "the dev stage's first poll", (p) => p.failureStreak > 0);
    await pushShop(rig, "dev-1");
    expect(await hook("dev-1")).toBe(202);

    const deploy = await waitForDeploy(api, setup.dev.id, "dev-1");

    expect(deploy.status).toBe("succeeded");
    await expectServing(await onlyRunning(), "dev-1");
  });

  it("engine gone mid-deploy fails it cleanly", async () => {
    const before = await onlyRunning();
    // A broken image keeps the deploy in its health gate, so the outage lands there.
    await pushShop(rig, "dev-2", "broken");
    expect(await hook("dev-2")).toBe(202);
    const running = await waitForDeploy(api, setup.dev.id, "dev-2", (s) => s === "running");
    await waitForStep(api, running.id, "health");
    expect(await deployContainers(running.id)).toHaveLength(1);

    await rig.podman.stopService();
    let finished: Awaited<ReturnType<typeof waitForDeploy>>;
    try {
      finished = await waitForDeploy(api, setup.dev.id, "dev-2");
      await expectServing(before, "dev-1");
    } finally {
      await rig.podman.startService();
    }

    expect(["failed", "rolled_back"]).toContain(finished.status);
    expect(finished.step).toBe("health");
    expect(finished.error).toContain(rig.podman.socketPath);
    expect(finished.error).toContain(`check that the engine runs at ${rig.podman.dockerHost}`);
    const warnings = await deployLogMessages(api, running.id, "warn");
    expect(warnings.join("\n")).toMatch(
      /cleanup incomplete: container left for the periodic sweep/,
    );
    // The worker's sweep removes the half-made container once the engine responds again.
    await waitFor("the dev-2 container to be removed", async () =>
      (await deployContainers(running.id)).length === 0 ? true : undefined,
    );
    const createdInstances = (await listInstances(api, setup.dev.id)).filter(
      (i) => i.deployId === running.id,
    );
    expect(createdInstances.map((i) => i.status)).toEqual(["removed"]);
    expect((await onlyRunning()).id).toBe(before.id);
    await expectServing(before, "dev-1");
    expect(await findDisagreements(api, rig, [setup.dev.id])).toEqual([]);
  });

  it("proxy manager down fails the deploy cleanly", async () => {
    const before = await onlyRunning();
    await pushShop(rig, "dev-3");

    await npmForwarder.setMode("refuse");
    let finished: Awaited<ReturnType<typeof waitForDeploy>>;
    try {
      expect(await hook("dev-3")).toBe(202);
      finished = await waitForDeploy(api, setup.dev.id, "dev-3");
    } finally {
      await npmForwarder.setMode("pass");
    }

    expect(["failed", "rolled_back"]).toContain(finished.status);
    expect(finished.step).toBe("proxy");
    expect(finished.error).toContain(
      `Nginx Proxy Manager at ${npmForwarder.url} did not respond to`,
    );
    expect(finished.error).toMatch(/ECONNREFUSED/);
    expect(finished.error).toMatch(/check that it is running and that the URL in settings/);
    expect(await deployContainers(finished.id)).toEqual([]);
    const createdInstances = (await listInstances(api, setup.dev.id)).filter(
      (i) => i.deployId === finished.id,
    );
    expect(createdInstances.map((i) => i.status)).toEqual(["removed"]);
    expect((await onlyRunning()).id).toBe(before.id);
    await expectServing(before, "dev-1");
    expect(await findDisagreements(api, rig, [setup.dev.id])).toEqual([]);
  });

  it("deploys again once both are back", async () => {
    await pushShop(rig, "dev-4");
    expect(await hook("dev-4")).toBe(202);

    const deploy = await waitForDeploy(api, setup.dev.id, "dev-4");

    expect(deploy.status).toBe("succeeded");
    await expectServing(await onlyRunning(), "dev-4");
    expect(await findDisagreements(api, rig, [setup.dev.id])).toEqual([]);
  });
});
