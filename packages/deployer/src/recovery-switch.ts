/**
 * Recovery of a deploy that died in step `proxy` or `retire`. Its new instance has passed the
 * health gate and the stage's proxy host may already forward to it, while retire may have
 * stopped the old instances. Failing such a deploy and removing its instance, as recovery
 * does for the earlier steps, would leave the stage's domain forwarding to nothing.
 */
import {
  type Deploy,
  finishDeploy,
  listDeployInstances,
  listDeployLogs,
  setDeployStep,
} from "@berth/store";
import { messageOf } from "./errors.js";
import { type DeployContext, loadDeployContext } from "./pipeline/context.js";
import { switchProxyHost } from "./pipeline/proxy-step.js";
import { retireInstances } from "./pipeline/retire.js";
import { deployLogFor, notifyDeployOutcome, type PipelineDeps } from "./pipeline/run-deploy.js";
import { isProxyUnreachable } from "./proxy/unreachable.js";

/**
 * Outcome of recovering an interrupted deploy: `finished` succeeded, `waiting` stays
 * `running` in step `proxy` until the proxy manager can be reached, and `unfinished` is left
 * for the caller to fail.
 */
export type SwitchOutcome = "finished" | "waiting" | "unfinished";

/** Prefix of the deploy log line recording that recovery waits for the proxy manager. */
const WAITING_PREFIX = "recovery waits for Nginx Proxy Manager";

/**
 * Finishes the switch of a deploy interrupted in `proxy` or `retire`: points the stage's
 * proxy host at its instance (in `proxy` only), retires the older instances, marks the deploy
 * succeeded and sends the `deploy.succeeded` notification. Returns `waiting` when the proxy
 * manager cannot be reached, so the caller keeps the deploy and its container and the next
 * sweep retries. Returns `unfinished` when the deploy died earlier, its instance is not
 * healthy, its container no longer runs or finishing failed otherwise.
 */
export async function finishInterruptedSwitch(
  deps: PipelineDeps,
  deploy: Deploy,
): Promise<SwitchOutcome> {
  const step = deploy.step;
  if (step !== "proxy" && step !== "retire") return "unfinished";
  const instances = await listDeployInstances(deps.db, deploy.id);
  // The pipeline marks its instance `running` only once the health gate has passed.
  const instance = instances.find((candidate) => candidate.status === "running");
  if (!instance?.containerId) return "unfinished";
  const container = await deps.docker.inspectContainer(instance.containerId);
  if (!container?.running) return "unfinished";

  const log = deployLogFor(deps, deploy);
  const retrying = await waitedBefore(deps, deploy);
  if (!retrying) {
    await log(
      "warn",
      step,
      `Berth stopped during step ${step} after the health gate passed; finishing the switch to ${instance.containerName} on recovery`,
    );
  }
  let context: DeployContext;
  let npmUrl: string | null = null;
  try {
    context = await loadDeployContext(deps.db, deploy);
    npmUrl = context.settings.npmUrl;
    // The pipeline enters retire only after the proxy host forwards to the new instance, so
    // a deploy that died in retire needs no proxy manager, which may be the part that is down.
    if (step === "proxy") {
      const upstream =
        instance.upstreamHost && instance.upstreamPort
          ? { host: instance.upstreamHost, port: instance.upstreamPort }
          : undefined;
      await switchProxyHost(deps, context, instance.id, upstream, {}, log);
      await setDeployStep(deps.db, deploy.id, "retire", deps.now());
    }
    await retireInstances(deps, context, instance.id, log);
  } catch (error) {
    if (step === "proxy" && isProxyUnreachable(error)) {
      // NOTE: a waiting deploy stays `running`, so the stage's queued deploys wait behind it,
      // it takes one slot of `deploy_concurrency`, and no operation can cancel it.
      await reportWaiting(deps, deploy, { retrying, npmUrl, error });
      return "waiting";
    }
    await log("error", step, `finishing the switch failed: ${messageOf(error)}`);
    return "unfinished";
  }
  await finishDeploy(deps.db, deploy.id, { status: "succeeded", now: deps.now() });
  await log("info", null, "deploy succeeded");
  notifyDeployOutcome(deps, context, "succeeded", { step: null, error: null });
  deps.logger.warn({ deploy: deploy.id, step }, "interrupted deploy finished on recovery");
  return "finished";
}

/** True when the deploy's last log line is recovery's wait for the proxy manager. */
async function waitedBefore(deps: PipelineDeps, deploy: Deploy): Promise<boolean> {
  const entries = await listDeployLogs(deps.db, deploy.id);
  return entries.at(-1)?.message.startsWith(WAITING_PREFIX) ?? false;
}

/**
 * Records that recovery waits for the proxy manager: a deploy log line and a warning the
 * first time, and only a debug line on each retry while the outage lasts, because the sweep
 * retries every few seconds.
 */
async function reportWaiting(
  deps: PipelineDeps,
  deploy: Deploy,
  wait: { retrying: boolean; npmUrl: string | null; error: unknown },
): Promise<void> {
  const { retrying, npmUrl, error } = wait;
  if (retrying) {
    deps.logger.debug(
      { deploy: deploy.id, stage: deploy.stageId, error: messageOf(error) },
      "recovery still waits for Nginx Proxy Manager",
    );
    return;
  }
  // A client injected without settings, as in tests, has no URL in the settings row.
  const address = npmUrl ? ` at ${npmUrl}` : "";
  await deployLogFor(deps, deploy)(
    "warn",
    "proxy",
    `${WAITING_PREFIX}${address} and will retry at the next sweep; the deploy and its container are kept: ${messageOf(error)}`,
  );
}
