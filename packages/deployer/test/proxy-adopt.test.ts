/**
 * A stage's first proxy host, created by a Berth process that died before it recorded the
 * host's id on the instance. Such a host forwards to an instance of the stage, so recovery
 * and later deploys take it as Berth's and record it. A host for the domain that forwards
 * elsewhere still fails the deploy.
 */
import { getDeploy, getInstance, listDeployInstances, listDeployLogs } from "@berth/store";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { deployTag } from "../src/operations.js";
import type { ProxyManagerClient } from "../src/proxy/client.js";
import { pipelineDeps, startKilledDeploy, waitFor } from "./support/interrupt.js";
import { addStage, makeWorker, pushShop, type Rig, startRig } from "./support/rig.js";

process.env.TEST_DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/test";

let rig: Rig;
beforeAll(async () => {
  rig = await startRig("postgres");
  await pushShop(rig, "1.0");
  await pushShop(rig, "2.0");
});
afterAll(async () => {
  await rig?.stop();
});

/**
 * Returns `proxy` whose `createProxyHost` creates the host and then never settles, as a
 * process killed between creating the host and recording it.
 */
function dieAfterCreate(proxy: ProxyManagerClient): ProxyManagerClient {
  return {
    listProxyHosts: () => proxy.listProxyHosts(),
    updateProxyHost: (id, input) => proxy.updateProxyHost(id, input),
    deleteProxyHost: (id) => proxy.deleteProxyHost(id),
    findHostByDomain: (domain) => proxy.findHostByDomain(domain),
    createProxyHost: async (input) => {
      await proxy.createProxyHost(input);
      return new Promise(() => undefined);
    },
  };
}

function hostsFor(domain: string) {
  return rig.npm.proxyHosts().filter((host) => host.domain_names.includes(domain));
}

/** Runs a stage's first deploy of `1.0` until Berth "dies" right after creating its proxy host. */
async function killAfterHostCreated(stageName: string) {
  const stage = await addStage(rig, { name: stageName });
  const domain = `${stageName}-shop.example.test`;
  await deployTag(rig.handle.db, { stageId: stage.id, tag: "1.0", requestedBy: "test" });
  const deps = pipelineDeps(rig, { proxyFor: () => dieAfterCreate(rig.proxy) });
  const killed = await startKilledDeploy(rig, deps);
  await waitFor(async () => hostsFor(domain).length === 1);
  const [instance] = await listDeployInstances(rig.handle.db, killed.id);
  expect(instance?.proxyHostId).toBeNull();
  return {
    stage,
    domain,
    deployId: killed.id,
    instance: instance!,
    hostId: hostsFor(domain)[0]!.id,
  };
}

/** Starts a worker that takes the killed deploy for dead, and waits until it ended it. */
async function recover(deployId: string): Promise<void> {
  const worker = makeWorker(rig, { heartbeatIntervalMs: 100, staleAfterMs: 1500 });
  await worker.start();
  try {
    await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).status !== "running");
  } finally {
    await worker.stop();
  }
}

describe("unrecorded proxy host", () => {
  test("recovery adopts and records it", async () => {
    const { domain, deployId, instance, hostId } = await killAfterHostCreated("adopt-recovery");

    await recover(deployId);

    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("succeeded");
    expect((await getInstance(rig.handle.db, instance.id)).proxyHostId).toBe(hostId);
    expect(hostsFor(domain)).toHaveLength(1);
    const messages = (await listDeployLogs(rig.handle.db, deployId)).map((e) => e.message);
    expect(messages).toContainEqual(
      expect.stringMatching(
        new RegExp(`^adopted proxy host ${hostId} for ${domain}: it forwards to `),
      ),
    );
  });

  test("next deploy adopts and records it", async () => {
    const { stage, domain, deployId, instance, hostId } = await killAfterHostCreated("adopt-next");
    // With its container gone, recovery fails the killed deploy and leaves the host behind.
    await rig.docker.stopContainer(instance.containerId!, 1);
    await recover(deployId);
    expect((await getDeploy(rig.handle.db, deployId)).status).toBe("failed");

    const next = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "2.0",
      requestedBy: "test",
    });
    await makeWorker(rig).runUntilIdle();

    expect((await getDeploy(rig.handle.db, next.id)).status).toBe("succeeded");
    const [nextInstance] = await listDeployInstances(rig.handle.db, next.id);
    expect(nextInstance?.proxyHostId).toBe(hostId);
    const hosts = hostsFor(domain);
    expect(hosts).toHaveLength(1);
    expect(`${hosts[0]?.forward_host}:${hosts[0]?.forward_port}`).toBe(
      `${nextInstance?.upstreamHost}:${nextInstance?.upstreamPort}`,
    );
  });

  test("host forwarding elsewhere still fails", async () => {
    const stage = await addStage(rig, { name: "adopt-foreign" });
    const domain = "adopt-foreign-shop.example.test";
    const foreign = await rig.proxy.createProxyHost({
      domainNames: [domain],
      forwardScheme: "http",
      forwardHost: "192.0.2.10",
      forwardPort: 8080,
    });

    const deploy = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "1.0",
      requestedBy: "test",
    });
    await makeWorker(rig).runUntilIdle();

    const ended = await getDeploy(rig.handle.db, deploy.id);
    expect(ended.status).toBe("rolled_back");
    expect(ended.error).toContain(
      `${domain} is already served by Nginx Proxy Manager proxy host ${foreign.id}, which Berth did not create`,
    );
    expect(hostsFor(domain)[0]?.forward_host).toBe("192.0.2.10");
  });
});
