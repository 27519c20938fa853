/**
 * Playing a Berth process that dies mid-deploy: a call that never returns stops the pipeline
 * in its step, and the deploy stays `running` there until its heartbeat goes stale.
 */
import { claimNextDeploy, type Deploy, getDeploy, listLiveInstances } from "@berth/store";
import { pino } from "pino";
import { deployTag } from "../../src/operations.js";
import { createNotifier } from "../../src/pipeline/notify.js";
import { type PipelineDeps, runDeploy } from "../../src/pipeline/run-deploy.js";
import { addStage, decryptSecret, makeWorker, type Rig } from "./rig.js";

/** Returns `target` with `method` replaced by one that never settles, as in a killed process. */
export function hangOn<T extends object>(target: T, method: keyof T): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === method) return () => new Promise(() => undefined);
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/** Returns `target` with `method` replaced by one that rejects, as when its server is down. */
export function failOn<T extends object>(target: T, method: keyof T): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === method) {
        return () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:81"));
      }
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/** Returns pipeline dependencies on the rig's parts, with `overrides` replacing some. */
export function pipelineDeps(rig: Rig, overrides: Partial<PipelineDeps> = {}): PipelineDeps {
  const logger = pino({ level: "silent" });
  return {
    db: rig.handle.db,
    docker: rig.docker,
    proxyFor: () => rig.proxy,
    logger,
    now: () => new Date(),
    decryptSecret,
    notifier: createNotifier({ logger }),
    stabilityMs: 500,
    stopTimeoutSeconds: 1,
    registryTimeoutSeconds: 5,
    fetch,
    ...overrides,
  };
}

/** Claims the stage's queued deploy under a worker id of its own and runs it with `deps`. */
export async function startKilledDeploy(rig: Rig, deps: PipelineDeps): Promise<Deploy> {
  const claimed = await claimNextDeploy(rig.handle.db, {
    workerId: "killed",
    maxRunning: 4,
    now: new Date(),
  });
  if (!claimed) throw new Error("no queued deploy to claim");
  void runDeploy(deps, claimed);
  return claimed;
}

/** Deploys `1.0`, then starts `2.0` in a pipeline that stops forever at the hanging call. */
export async function interruptSecondDeploy(
  rig: Rig,
  stageName: string,
  hang: Partial<PipelineDeps>,
  stageValues: { notificationUrl?: string } = {},
) {
  const stage = await addStage(rig, { name: stageName, ...stageValues });
  await deployTag(rig.handle.db, { stageId: stage.id, tag: "1.0", requestedBy: "test" });
  await makeWorker(rig).runUntilIdle();
  const [old] = await listLiveInstances(rig.handle.db, stage.id);

  await deployTag(rig.handle.db, { stageId: stage.id, tag: "2.0", requestedBy: "test" });
  const claimed = await startKilledDeploy(rig, pipelineDeps(rig, hang));
  return { stage, old: old!, deployId: claimed.id };
}

export async function waitForStep(rig: Rig, deployId: string, step: string): Promise<void> {
  await waitFor(async () => (await getDeploy(rig.handle.db, deployId)).step === step);
}

/** Creates a pino logger at debug level that keeps each line and each line's message. */
export function recordingLogger() {
  const lines: Array<{ msg: string; level: number; [field: string]: unknown }> = [];
  const messages: string[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write: (text: string) => {
        const line = JSON.parse(text) as { msg: string; level: number };
        lines.push(line);
        messages.push(line.msg);
      },
    },
  );
  return { logger, lines, messages };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
