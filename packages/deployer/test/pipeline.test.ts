import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  deploys,
  getDeploy,
  insertCandidate,
  instances,
  listDeployLogs,
  listLiveInstances,
  projects,
  registries,
  stageEnv,
  stageVolumes,
} from "@berth/store";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import {
  approveDeploy,
  deployTag,
  promote,
  rejectDeploy,
  removeInstance,
  restartInstance,
  rollback,
  startInstance,
  stopInstance,
} from "../src/operations.js";
import { containerName } from "../src/pipeline/naming.js";
import {
  addStage,
  makeWorker,
  pushShop,
  type Rig,
  request,
  startRig,
  updateSettingsRow,
} from "./support/rig.js";

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.stop();
});

async function deployAndRun(stageId: string, tag: string) {
  const deploy = await deployTag(rig.handle.db, { stageId, tag, requestedBy: "test" });
  const statuses = await makeWorker(rig).runUntilIdle();
  return { deploy: await getDeploy(rig.handle.db, deploy.id), statuses };
}

async function liveInstances(stageId: string) {
  return listLiveInstances(rig.handle.db, stageId);
}

describe("deploy pipeline", () => {
  test("good deploy serves the new tag behind a proxy host", async () => {
    const stage = await addStage(rig, { name: "dev" });
    const digest = await pushShop(rig, "1.0");

    const { deploy } = await deployAndRun(stage.id, "1.0");

    expect(deploy.status).toBe("succeeded");
    expect(deploy.digest).toBe(digest);
    const [instance] = await liveInstances(stage.id);
    expect(instance?.status).toBe("running");
    expect(await request(instance!.upstreamPort)).toEqual({ status: 200, body: "shop 1.0" });
    const state = await rig.docker.inspectContainer(instance!.containerId!);
    expect(state?.labels).toMatchObject({
      "berth.project": "shop",
      "berth.stage": "dev",
      "berth.instance": instance!.id,
      "berth.deploy": deploy.id,
    });
    const [host] = rig.npm
      .proxyHosts()
      .filter((h) => h.domain_names[0] === "dev-shop.example.test");
    expect(host?.forward_port).toBe(instance!.upstreamPort);
    const steps = (await listDeployLogs(rig.handle.db, deploy.id)).map((line) => line.step);
    expect(steps).toEqual(
      expect.arrayContaining(["resolve", "pull", "create", "start", "health", "proxy"]),
    );
  });

  test("next deploy updates the proxy host and retires the old instance", async () => {
    const stage = await addStage(rig, { name: "qa" });
    await pushShop(rig, "2.0");
    await pushShop(rig, "2.1");
    await deployAndRun(stage.id, "2.0");
    const [old] = await liveInstances(stage.id);

    const { deploy } = await deployAndRun(stage.id, "2.1");

    expect(deploy.status).toBe("succeeded");
    const live = await liveInstances(stage.id);
    expect(live.map((instance) => instance.tag)).toEqual(["2.1"]);
    expect(await rig.docker.inspectContainer(old!.containerId!)).toBeNull();
    const hosts = rig.npm.proxyHosts().filter((h) => h.domain_names[0] === "qa-shop.example.test");
    expect(hosts).toHaveLength(1);
    expect(hosts[0]?.forward_port).toBe(live[0]?.upstreamPort);
    const tagDomains = rig.npm
      .proxyHosts()
      .flatMap((h) => h.domain_names)
      .filter((domain) => domain.startsWith("stage-qa-"));
    expect(tagDomains).toEqual(["stage-qa-shop-2-1.example.test"]);
  });

  test("failing health check rolls back and the old instance keeps serving", async () => {
    const stage = await addStage(rig, { name: "hc" });
    await pushShop(rig, "3.0");
    await pushShop(rig, "3.1", "broken");
    await deployAndRun(stage.id, "3.0");
    const [old] = await liveInstances(stage.id);
    const hostBefore = rig.npm
      .proxyHosts()
      .find((h) => h.domain_names[0] === "hc-shop.example.test");

    const { deploy } = await deployAndRun(stage.id, "3.1");

    expect(deploy.status).toBe("rolled_back");
    expect(deploy.step).toBe("health");
    expect(deploy.error).toMatch(
      /^health gate timed out after 5 s \(settings healthTimeoutSeconds, while the stage's health check timeoutSeconds of 1 s limits each request\): GET .*\/health returned 404/,
    );
    expect((await liveInstances(stage.id)).map((instance) => instance.id)).toEqual([old!.id]);
    expect(await request(old!.upstreamPort)).toEqual({ status: 200, body: "shop 3.0" });
    const hostAfter = rig.npm
      .proxyHosts()
      .find((h) => h.domain_names[0] === "hc-shop.example.test");
    expect(hostAfter).toEqual(hostBefore);
    const made = await rig.docker.listContainers({ "berth.deploy": deploy.id });
    expect(made).toEqual([]);
  });

  test("crashing container fails the gate at once", async () => {
    const stage = await addStage(rig, { name: "crash" });
    await pushShop(rig, "4.0", "crashing");

    const started = Date.now();
    const { deploy } = await deployAndRun(stage.id, "4.0");

    expect(deploy.status).toBe("rolled_back");
    expect(deploy.error).toMatch(/container exited with code 1/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("restart loop under a restart policy fails the gate", async () => {
    const stage = await addStage(rig, { name: "flap", restartPolicy: "always", healthCheck: null });
    await pushShop(rig, "4.1", "flapping");

    const { deploy } = await deployAndRun(stage.id, "4.1");

    expect(deploy.status).toBe("rolled_back");
    expect(deploy.error).toMatch(/container is restarting|container exited with code 3/);
  });

  test("pull of a missing tag fails and changes nothing", async () => {
    // The repository exists, so the message must blame the tag, not the repository.
    await pushShop(rig, "1.0.0");
    const stage = await addStage(rig, { name: "pull" });

    const { deploy } = await deployAndRun(stage.id, "9.9.9");

    expect(deploy.status).toBe("failed");
    expect(deploy.step).toBe("resolve");
    expect(deploy.error).toMatch(/acme\/shop:9\.9\.9/);
    expect(deploy.error).toContain(
      "registry local has no tag 9.9.9 in acme/shop (resolve acme/shop:9.9.9, 404): check the tag was pushed to acme/shop",
    );
    expect(await liveInstances(stage.id)).toEqual([]);
  });

  test("resolve waits for the registry only as long as registryTimeoutSeconds", async () => {
    // A registry that accepts connections and never responds, so only the time limit ends the step.
    const stalled = createServer(() => {});
    await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
    const { port } = stalled.address() as AddressInfo;
    const [project] = await rig.handle.db
      .select({ registryId: projects.registryId })
      .from(projects)
      .where(eq(projects.id, rig.projectId));
    const registryId = project!.registryId;
    const [original] = await rig.handle.db
      .update(registries)
      .set({ url: `http://127.0.0.1:${port}` })
      .where(eq(registries.id, registryId))
      .returning();
    onTestFinished(async () => {
      await rig.handle.db
        .update(registries)
        .set({ url: rig.registry.url })
        .where(eq(registries.id, registryId));
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
    });
    expect(original?.url).toBe(`http://127.0.0.1:${port}`);
    const stage = await addStage(rig, { name: "stalled" });

    const deploy = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "1.0",
      requestedBy: "test",
    });
    const started = Date.now();
    await makeWorker(rig, { registryTimeoutSeconds: 1 }).runUntilIdle();
    const elapsedMs = Date.now() - started;

    const ended = await getDeploy(rig.handle.db, deploy.id);
    expect(ended.status).toBe("failed");
    expect(ended.step).toBe("resolve");
    expect(ended.error).toContain("within 1000 ms");
    // The registry client's own default is 15 s; the deploy must not wait for it.
    expect(elapsedMs).toBeLessThan(10_000);
  });

  test("name conflict with a foreign container aborts without touching it", async () => {
    const stage = await addStage(rig, { name: "clash" });
    const digest = await pushShop(rig, "5.0");
    const queued = await deployTag(rig.handle.db, {
      stageId: stage.id,
      tag: "5.0",
      requestedBy: "test",
    });
    const name = containerName({
      project: "shop",
      stage: "clash",
      tag: "5.0",
      deployId: queued.id,
    });
    await rig.docker.pull(`${rig.registry.host}/acme/shop`, digest);
    const foreignId = await rig.docker.createContainer({
      name,
      image: `${rig.registry.host}/acme/shop@${digest}`,
      env: [],
      labels: { owner: "someone-else" },
      binds: [],
      restartPolicy: "no",
    });

    await makeWorker(rig).runUntilIdle();

    const deploy = await getDeploy(rig.handle.db, queued.id);
    expect(deploy.status).toBe("failed");
    expect(deploy.step).toBe("create");
    expect(deploy.error).toMatch(`a container named ${name} already exists`);
    expect((await rig.docker.inspectContainer(foreignId))?.labels).toEqual({
      owner: "someone-else",
    });
    await rig.docker.removeContainer(foreignId);
  });

  test("max_instances keeps the newest instances", async () => {
    const stage = await addStage(rig, { name: "keep", maxInstances: 2 });
    for (const tag of ["6.0", "6.1", "6.2"]) {
      await pushShop(rig, tag);
      await deployAndRun(stage.id, tag);
    }

    const live = await liveInstances(stage.id);

    expect(live.map((instance) => instance.tag)).toEqual(["6.1", "6.2"]);
    const removed = await rig.handle.db
      .select()
      .from(instances)
      .where(eq(instances.stageId, stage.id));
    expect(removed.find((instance) => instance.tag === "6.0")?.status).toBe("removed");
  });

  test("proxy host Berth did not create fails the deploy and stays", async () => {
    const stage = await addStage(rig, { name: "taken" });
    await pushShop(rig, "7.0");
    const foreign = rig.npm.addRedirectionHost(["taken-shop.example.test"]);

    const { deploy } = await deployAndRun(stage.id, "7.0");

    expect(deploy.status).toBe("rolled_back");
    expect(deploy.step).toBe("proxy");
    expect(deploy.error).toMatch(
      `taken-shop.example.test is already served by Nginx Proxy Manager redirection host ${foreign.id}`,
    );
    expect(await liveInstances(stage.id)).toEqual([]);
  });
});

describe("approval, promotion and rollback", () => {
  test("candidate waits for approval, then runs", async () => {
    const stage = await addStage(rig, { name: "rel", autoDeploy: false });
    const digest = await pushShop(rig, "8.0");
    const id = await insertCandidate(rig.handle.db, {
      stageId: stage.id,
      tag: "8.0",
      digest,
      trigger: "poll",
      autoDeploy: false,
    });

    expect(await makeWorker(rig).runUntilIdle()).toEqual([]);
    await approveDeploy(rig.handle.db, { deployId: id!, approvedBy: "alice" });
    const statuses = await makeWorker(rig).runUntilIdle();

    expect(statuses).toEqual(["succeeded"]);
    expect((await getDeploy(rig.handle.db, id!)).approvedBy).toBe("alice");
  });

  test("rejected candidate never runs", async () => {
    const stage = await addStage(rig, { name: "rej", autoDeploy: false });
    const digest = await pushShop(rig, "8.1");
    const id = await insertCandidate(rig.handle.db, {
      stageId: stage.id,
      tag: "8.1",
      digest,
      trigger: "poll",
      autoDeploy: false,
    });

    await rejectDeploy(rig.handle.db, { deployId: id!, rejectedBy: "bob" });

    expect(await makeWorker(rig).runUntilIdle()).toEqual([]);
    expect((await getDeploy(rig.handle.db, id!)).status).toBe("rejected");
    await expect(approveDeploy(rig.handle.db, { deployId: id!, approvedBy: "x" })).rejects.toThrow(
      `cannot approve deploy ${id}: it is rejected, not pending_approval`,
    );
  });

  test("promotion ships the digest running in the source stage", async () => {
    const source = await addStage(rig, { name: "stg" });
    const target = await addStage(rig, { name: "prod", promoteFromStageId: source.id });
    const digest = await pushShop(rig, "9.0");
    await deployAndRun(source.id, "9.0");
    // The tag moves on in the registry; promotion must still ship what was tested.
    await pushShop(rig, "9.0", "broken");

    const promoted = await promote(rig.handle.db, { stageId: target.id, requestedBy: "carol" });
    await makeWorker(rig).runUntilIdle();

    const deploy = await getDeploy(rig.handle.db, promoted.id);
    expect(deploy).toMatchObject({ status: "succeeded", digest, trigger: "promote" });
    const [instance] = await liveInstances(target.id);
    expect(instance?.digest).toBe(digest);
  });

  test("rollback redeploys an earlier digest", async () => {
    const stage = await addStage(rig, { name: "back" });
    await pushShop(rig, "10.0");
    await pushShop(rig, "10.1");
    const { deploy: first } = await deployAndRun(stage.id, "10.0");
    await deployAndRun(stage.id, "10.1");

    const queued = await rollback(rig.handle.db, { deployId: first.id, requestedBy: "dave" });
    await makeWorker(rig).runUntilIdle();

    const [instance] = await liveInstances(stage.id);
    expect(instance?.digest).toBe(first.digest);
    expect(await request(instance!.upstreamPort)).toEqual({ status: 200, body: "shop 10.0" });
    const row = await rig.handle.db.select().from(deploys).where(eq(deploys.id, queued.id));
    expect(row[0]?.trigger).toBe("rollback");
  });
});

describe("instance operations", () => {
  test("stop, start, restart and remove one instance", async () => {
    const stage = await addStage(rig, { name: "ops" });
    await pushShop(rig, "11.0");
    await deployAndRun(stage.id, "11.0");
    const [instance] = await liveInstances(stage.id);
    const deps = { db: rig.handle.db, docker: rig.docker, stopTimeoutSeconds: 1 };

    expect((await stopInstance(deps, instance!.id)).status).toBe("stopped");
    expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(false);
    expect((await startInstance(deps, instance!.id)).status).toBe("running");
    expect((await restartInstance(deps, instance!.id)).status).toBe("running");
    expect((await rig.docker.inspectContainer(instance!.containerId!))?.running).toBe(true);
    expect((await removeInstance(deps, instance!.id)).status).toBe("removed");

    expect(await rig.docker.inspectContainer(instance!.containerId!)).toBeNull();
    await expect(stopInstance(deps, instance!.id)).rejects.toThrow(
      `instance ${instance!.id} was removed: nothing to operate on`,
    );
  });
});

describe("container definition", () => {
  test("env, secrets and volumes reach the container", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "berth-volume-"));
    onTestFinished(() => rm(folder, { recursive: true, force: true }));
    // busybox httpd runs executables under /cgi-bin, which here is the shared volume.
    const script = path.join(folder, "env");
    await writeFile(
      script,
      "#!/bin/busybox sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n/bin/busybox env\n",
    );
    await chmod(script, 0o755);
    await updateSettingsRow(rig, { volumeAllowList: [folder] });
    const stage = await addStage(rig, { name: "env" });
    await rig.handle.db.insert(stageEnv).values([
      { stageId: stage.id, key: "GREETING", value: "hello", secret: false },
      { stageId: stage.id, key: "API_TOKEN", valueEncrypted: "enc:hunter2", secret: true },
    ]);
    await rig.handle.db.insert(stageVolumes).values([
      { stageId: stage.id, kind: "shared", source: folder, target: "/www/cgi-bin" },
      { stageId: stage.id, kind: "isolated", source: `${folder}/data`, target: "/data" },
    ]);
    await pushShop(rig, "12.0");

    const { deploy } = await deployAndRun(stage.id, "12.0");

    expect(deploy.status).toBe("succeeded");
    const [instance] = await liveInstances(stage.id);
    const { body } = await request(instance!.upstreamPort, "/cgi-bin/env");
    expect(body).toMatch(/^GREETING=hello$/m);
    expect(body).toMatch(/^API_TOKEN=hunter2$/m);
    expect((await stat(path.join(folder, "data", "env-12.0"))).isDirectory()).toBe(true);
  });

  test("volume outside the allow-list fails the deploy", async () => {
    await updateSettingsRow(rig, { volumeAllowList: ["/srv/berth"] });
    const stage = await addStage(rig, { name: "vol" });
    await rig.handle.db
      .insert(stageVolumes)
      .values({ stageId: stage.id, kind: "shared", source: "/etc", target: "/data" });
    await pushShop(rig, "12.1");

    const { deploy } = await deployAndRun(stage.id, "12.1");

    expect(deploy.status).toBe("failed");
    expect(deploy.step).toBe("create");
    expect(deploy.error).toBe(
      "volume host path /etc is outside the allowed folders (/srv/berth): add its folder to the volume allow-list in settings",
    );
    expect(await liveInstances(stage.id)).toEqual([]);
  });
});
