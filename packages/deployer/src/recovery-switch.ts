/**
 * Recovery of a deploy that died in step `proxy` or `retire`. Its new instance has passed the
 * health gate and the stage's proxy host may already forward to it, while retire may have
 * stopped the old instances. Failing such a deploy and removing its instance, as recovery
 * does for the earlier steps, would leave the stage's domain forwarding to nothing.
 */
import { type Deploy, finishDeploy, listDeployInstances, setDeployStep } from "@berth/store";
import { messageOf } from "./errors.js";
import { type DeployContext, loadDeployContext } from "./pipeline/context.js";
import { switchProxyHost } from "./pipeline/proxy-step.js";
import { retireInstances } from "./pipeline/retire.js";
import { deployLogFor, notifyDeployOutcome, type PipelineDeps } from "./pipeline/run-deploy.js";

/**
 * Finishes the switch of a deploy interrupted in `proxy` or `retire`: points the stage's
 * proxy host at its instance (in `proxy` only), retires the older instances, marks the deploy
 * succeeded and sends the `deploy.succeeded` notification. Returns false when the deploy
 * died earlier, its instance is not healthy, its container no longer runs or finishing
 * failed. The caller then fails the deploy.
 *
 * NOTE: no heartbeat runs meanwhile, so when retire waits longer than the stale limit for a
 * container to stop, another Berth process sharing the database may sweep this deploy too.
 * NOTE: when the proxy switch of a deploy that died in `proxy` fails (the proxy manager
 * unreachable), the caller fails the deploy and removes its container, although the proxy
 * host may forward to it already.
 */
export async function finishInterruptedSwitch(
  deps: PipelineDeps,
  deploy: Deploy,
): Promise<boolean> {
  const step = deploy.step;
  if (step !== "proxy" && step !== "retire") return false;
  const instances = await listDeployInstances(deps.db, deploy.id);
  // The pipeline marks its instance `running` only once the health gate has passed.
  const instance = instances.find((candidate) => candidate.status === "running");
  if (!instance?.containerId) return false;
  const container = await deps.docker.inspectContainer(instance.containerId);
  if (!container?.running) return false;

  const log = deployLogFor(deps, deploy);
  await log(
    "warn",
    step,
    `Berth stopped during step ${step} after the health gate passed; finishing the switch to ${instance.containerName} on recovery`,
  );
  let context: DeployContext;
  try {
    context = await loadDeployContext(deps.db, deploy);
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
    await log("error", step, `finishing the switch failed: ${messageOf(error)}`);
    return false;
  }
  await finishDeploy(deps.db, deploy.id, { status: "succeeded", now: deps.now() });
  await log("info", null, "deploy succeeded");
  notifyDeployOutcome(deps, context, "succeeded", { step: null, error: null });
  deps.logger.warn({ deploy: deploy.id, step }, "interrupted deploy finished on recovery");
  return true;
}
