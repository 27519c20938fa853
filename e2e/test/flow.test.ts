/**
 * The whole flow on real parts: Postgres, docker-registry, podman, the proxy stand-in and
 * `berth serve` as a process. Every step goes through Berth's public HTTP API only.
 */
import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findDisagreements } from "../src/agreement.js";
import { type ApiClient, signIn } from "../src/api-client.js";
import { imageDigests, listContainers } from "../src/engine.js";
import {
  type Deploy,
  fetchFrom,
  type Instance,
  listDeploys,
  listInstances,
  pushShop,
  runningInstances,
  waitForDeploy,
  waitForFinish,
} from "../src/flow.js";
import { sendShopPush } from "../src/gitea-hook.js";
import { watchProxy } from "../src/proxy-watch.js";
import {
  ADMIN_USER,
  type FlowRig,
  POLL_INTERVAL_SECONDS,
  STALE_AFTER_SECONDS,
  startFlowRig,
} from "../src/rig.js";
import { configureFlow, type FlowSetup } from "../src/setup.js";
import { waitFor } from "../src/wait.js";

let rig: FlowRig;
let api: ApiClient;
let setup: FlowSetup;
const digests = new Map<string, string>();

beforeAll(async () => {
  rig = await startFlowRig();
  api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  setup = await configureFlow(api, rig);
});

afterAll(async () => {
  if (process.env.BERTH_E2E_LOG) {
    await writeFile(process.env.BERTH_E2E_LOG, rig?.output() ?? "");
  }
  await rig?.stop();
});

function hook(tag: string, secret = setup.giteaSecret): Promise<number> {
  return sendShopPush(rig, setup, tag, secret);
}

async function push(tag: string, kind: "good" | "broken" = "good"): Promise<string> {
  const digest = await pushShop(rig, tag, kind);
  digests.set(tag, digest);
  return digest;
}

async function onlyRunning(stageId: string): Promise<Instance> {
  const running = await runningInstances(api, stageId);
  expect(running).toHaveLength(1);
  return running[0]!;
}

async function expectServes(instance: Instance, tag: string): Promise<void> {
  const reply = await fetchFrom(instance.upstreamHost!, instance.upstreamPort!, "/");
  expect(reply.status).toBe(200);
  expect(reply.body.trim()).toBe(`shop ${tag}`);
}

async function expectAgreement(): Promise<void> {
  expect(await findDisagreements(api, rig, [setup.dev.id, setup.prod.id])).toEqual([]);
}

describe("the whole flow", () => {
  it("1. configures registry, project and stages", async () => {
    const { stages } = await api.get<{ stages: Array<Record<string, unknown>> }>(
      `/stages?projectId=${setup.projectId}`,
    );
    const byName = new Map(stages.map((stage) => [stage.name, stage]));

    expect(byName.get("dev")).toMatchObject({ tagInclude: ["dev-*"], autoDeploy: true });
    expect(byName.get("prod")).toMatchObject({
      tagInclude: ["v*.*.*"],
      autoDeploy: false,
      promoteFromStageId: setup.dev.id,
    });
  });

  it("2. signed webhook deploys dev-1", async () => {
    // dev-1 is the stage's first tag, and the webhook's check deploys it even when that check
    // is the stage's first. A poll cycle that saw dev-1 first would take it as the baseline.
    await awayFromPollTick();
    const digest = await push("dev-1");

    expect(await hook("dev-1", "a-wrong-secret")).toBe(401);
    expect(await listDeploys(api, setup.dev.id)).toEqual([]);
    expect(await hook("dev-1")).toBe(202);
    const deploy = await waitForDeploy(api, setup.dev.id, "dev-1");

    expect(deploy).toMatchObject({ status: "succeeded", trigger: "webhook", digest });
    const instance = await onlyRunning(setup.dev.id);
    expect(instance).toMatchObject({ tag: "dev-1", digest, deployId: deploy.id });
    await expectServes(instance, "dev-1");

    const host = rig.npm.proxyHosts().find((h) => h.id === instance.proxyHostId);
    expect(host?.domain_names).toEqual([instance.domain]);
    expect([host?.forward_host, host?.forward_port]).toEqual([
      instance.upstreamHost,
      instance.upstreamPort,
    ]);

    const [container] = await listContainers(rig.podman.socketPath, `berth.deploy=${deploy.id}`);
    expect(container?.State).toBe("running");
    expect(container?.Labels).toMatchObject({
      "berth.managed": "true",
      "berth.project": "shop",
      "berth.stage": "dev",
      "berth.instance": instance.id,
    });
    expect(await imageDigests(rig.podman.socketPath, container!.ImageID)).toContain(
      `${rig.registry.host}/acme/shop@${digest}`,
    );

    const { entries } = await api.get<{ entries: Array<{ level: string; step: string | null }> }>(
      `/deploys/${deploy.id}/log`,
    );
    const steps = new Set(entries.map((entry) => entry.step));
    expect([...steps]).toEqual(
      expect.arrayContaining(["resolve", "pull", "create", "start", "health", "proxy"]),
    );
    expect(entries.filter((entry) => entry.level === "error")).toEqual([]);
    await expectAgreement();
  });

  it("3. poller swaps in dev-2 without a gap", async () => {
    const before = await onlyRunning(setup.dev.id);
    const watcher = watchProxy(rig.npm, before.domain!);

    const digest = await push("dev-2");
    const deploy = await waitForDeploy(api, setup.dev.id, "dev-2", undefined, 60_000);
    const samples = await watcher.stop();

    expect(deploy).toMatchObject({ status: "succeeded", trigger: "poll", digest });
    expect(samples.gaps).toEqual([]);
    expect(samples.bodies).toContain("shop dev-2");
    const after = await onlyRunning(setup.dev.id);
    expect(after.tag).toBe("dev-2");
    await expectServes(after, "dev-2");
    await expectAgreement();
  });

  it("4. unhealthy dev-3 leaves dev-2 serving", async () => {
    await push("dev-3", "broken");
    expect(await hook("dev-3")).toBe(202);
    const deploy = await waitForDeploy(api, setup.dev.id, "dev-3");

    expect(["failed", "rolled_back"]).toContain(deploy.status);
    expect(deploy.error).toMatch(/health/);
    const instance = await onlyRunning(setup.dev.id);
    expect(instance.tag).toBe("dev-2");
    await expectServes(instance, "dev-2");
    const host = rig.npm.proxyHosts().find((h) => h.id === instance.proxyHostId);
    expect(host?.forward_port).toBe(instance.upstreamPort);
    const leftovers = await listContainers(rig.podman.socketPath, `berth.deploy=${deploy.id}`);
    expect(leftovers.filter((c) => c.State === "running")).toEqual([]);
    await expectAgreement();
  });

  it("5. prod approval and rollback by digest", async () => {
    const first = await deployToProd("v1.0.0");
    await deployToProd("v1.1.0");
    expect((await onlyRunning(setup.prod.id)).tag).toBe("v1.1.0");

    const { deploy: rollback } = await api.post<{ deploy: Deploy }>(
      `/deploys/${first.id}/rollback`,
    );
    expect(rollback).toMatchObject({ trigger: "rollback", digest: digests.get("v1.0.0") });
    await approveIfWaiting(rollback);
    expect(await waitForFinish(api, rollback.id)).toMatchObject({ status: "succeeded" });

    const instance = await onlyRunning(setup.prod.id);
    expect(instance.digest).toBe(digests.get("v1.0.0"));
    await expectServes(instance, "v1.0.0");
    const [container] = await listContainers(rig.podman.socketPath, `berth.deploy=${rollback.id}`);
    expect(await imageDigests(rig.podman.socketPath, container!.ImageID)).toContain(
      `${rig.registry.host}/acme/shop@${digests.get("v1.0.0")}`,
    );
    await expectAgreement();
  });

  it("6. restart mid-deploy leaves nothing stuck", async () => {
    await push("dev-4");
    expect(await hook("dev-4")).toBe(202);
    const running = await waitForDeploy(api, setup.dev.id, "dev-4", (s) => s === "running");

    await rig.restartBerth("SIGTERM");
    const finished = await waitForFinish(api, running.id, 30_000);

    expect(["succeeded", "failed"]).toContain(finished.status);
    const stuck = (await listDeploys(api, setup.dev.id)).filter((d) =>
      ["running", "queued"].includes(d.status),
    );
    expect(stuck).toEqual([]);
    await expectAgreement();
  });

  it("6b. SIGKILL mid-deploy fails it on recovery", async () => {
    // A broken image keeps the deploy in its 8 s health gate, so the kill lands mid-deploy.
    await push("dev-5", "broken");
    expect(await hook("dev-5")).toBe(202);
    const killed = await waitForDeploy(api, setup.dev.id, "dev-5", (s) => s === "running");
    await waitFor("the dev-5 deploy to reach the health gate", async () => {
      const { deploy } = await api.get<{ deploy: Deploy }>(`/deploys/${killed.id}`);
      return deploy.step === "health" ? deploy : undefined;
    });

    await rig.restartBerth("SIGKILL");
    // The new process fails it once its heartbeat is stale, at its next sweep.
    const finished = await waitForFinish(api, killed.id, (STALE_AFTER_SECONDS + 10) * 1000);

    expect(finished.status).toBe("failed");
    expect(finished.error).toMatch(
      /^interrupted: Berth stopped during step health and the deploy was failed on recovery/,
    );
    expect(await listContainers(rig.podman.socketPath, `berth.deploy=${killed.id}`)).toEqual([]);
    const instances = await listInstances(api, setup.dev.id);
    expect(instances.filter((i) => i.deployId === killed.id && i.status !== "removed")).toEqual([]);
    expect((await onlyRunning(setup.dev.id)).tag).not.toBe("dev-5");
    await expectAgreement();
  });
});

/**
 * Waits until the next poll cycle is at least 3 s away. Cycles fire on whole multiples of the
 * interval, so a push made now is seen by the webhook alone.
 */
async function awayFromPollTick(): Promise<void> {
  const intervalMs = POLL_INTERVAL_SECONDS * 1000;
  const intoCycle = Date.now() % intervalMs;
  const wait =
    intoCycle < 1000
      ? 1000 - intoCycle
      : intoCycle > intervalMs - 3000
        ? intervalMs - intoCycle + 1000
        : 0;
  await new Promise((resolve) => setTimeout(resolve, wait));
}

async function deployToProd(tag: string): Promise<Deploy> {
  const digest = await push(tag);
  expect(await hook(tag)).toBe(202);
  const waiting = await waitForDeploy(api, setup.prod.id, tag, (s) => s === "pending_approval");
  expect(waiting.digest).toBe(digest);
  expect((await runningInstances(api, setup.prod.id)).map((i) => i.tag)).not.toContain(tag);

  await api.post(`/deploys/${waiting.id}/approve`);
  const done = await waitForFinish(api, waiting.id);
  expect(done.status).toBe("succeeded");
  return done;
}

async function approveIfWaiting(deploy: Deploy): Promise<void> {
  if (deploy.status === "pending_approval") {
    await api.post(`/deploys/${deploy.id}/approve`);
  }
}
