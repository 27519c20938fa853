/** The health gate's loop: polls the container (and the HTTP check) until a verdict. */
import type { ImageHealthcheck } from "../docker/types.js";
import { DeployError, messageOf } from "../errors.js";
import type { DeployContext } from "./context.js";
import { describeHealthLimit, healthTimeoutMs, judgeContainer } from "./health.js";
import { requestStatus } from "./health-request.js";
import type { PipelineDeps } from "./run-deploy.js";

const NO_CHECK_YET = "no check has passed yet";

/**
 * Resolves when the new container is healthy: the image's HEALTHCHECK reports healthy, or
 * (without one) the stage's HTTP check returns the expected status, or (without either)
 * the container runs for the stability window without restarting. Throws `DeployError`
 * `health` on exit, restarts, an unhealthy verdict or the timeout.
 */
export async function waitUntilHealthy(
  deps: Pick<PipelineDeps, "docker" | "stabilityMs">,
  context: DeployContext,
  containerId: string,
  healthcheck: ImageHealthcheck | null,
  upstream: { host: string; port: number } | undefined,
): Promise<void> {
  const timeoutMs = healthTimeoutMs(context.settings.healthTimeoutSeconds, healthcheck);
  const started = Date.now();
  const http = !healthcheck && upstream ? context.stage.healthCheck : null;
  const pauseMs = http
    ? http.intervalSeconds * 1000
    : Math.min(500, healthcheck?.intervalMs ?? 500);
  let lastProblem = NO_CHECK_YET;

  for (;;) {
    const state = await deps.docker.inspectContainer(containerId);
    if (!state) {
      throw new DeployError(
        "health",
        `container ${containerId} disappeared during the health gate`,
      );
    }
    const verdict = judgeContainer(state);
    if (verdict.kind === "fail") {
      throw new DeployError("health", verdict.reason);
    }
    if (verdict.kind === "pass") {
      return;
    }

    if (!healthcheck && http && upstream) {
      const remainingMs = Math.max(0, started + timeoutMs - Date.now());
      const result = await checkHttp(upstream, http, remainingMs);
      if (result === null) {
        return;
      }
      // Keep an earlier full request's problem, because one cut short by the gate shows less.
      if (!result.cutShort || lastProblem === NO_CHECK_YET) {
        lastProblem = result.problem;
      }
    } else if (!healthcheck && state.running && Date.now() - started >= deps.stabilityMs) {
      return;
    }

    if (Date.now() - started >= timeoutMs) {
      const limit = describeHealthLimit(context.settings.healthTimeoutSeconds, healthcheck, http);
      throw new DeployError(
        "health",
        `health gate timed out after ${Math.round(timeoutMs / 1000)} s (${limit}): ${lastProblem}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/**
 * Returns `null` when the check passed, else what went wrong. One request waits for the
 * check's `timeoutSeconds`, but never past the gate's limit (`remainingMs`), so a check
 * timeout longer than the gate cannot stretch the gate. `cutShort` marks a request that the
 * gate's limit ended.
 */
async function checkHttp(
  upstream: { host: string; port: number },
  check: { path: string; expectedStatus: number; timeoutSeconds: number },
  remainingMs: number,
): Promise<{ problem: string; cutShort: boolean } | null> {
  const url = `http://${upstream.host}:${upstream.port}${check.path}`;
  const checkMs = check.timeoutSeconds * 1000;
  try {
    const status = await requestStatus(url, AbortSignal.timeout(Math.min(checkMs, remainingMs)));
    return status === check.expectedStatus
      ? null
      : {
          problem: `GET ${url} returned ${status}, expected ${check.expectedStatus}`,
          cutShort: false,
        };
  } catch (error) {
    if (!isTimeout(error)) {
      return { problem: `GET ${url} failed: ${messageOf(error)}`, cutShort: false };
    }
    return remainingMs < checkMs
      ? { problem: `GET ${url} did not respond before the gate's limit`, cutShort: true }
      : { problem: `GET ${url} did not respond within ${check.timeoutSeconds} s`, cutShort: false };
  }
}

/** `AbortSignal.timeout` aborts with a `TimeoutError` DOMException, which `requestStatus` passes on. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}
