/** The health gate's loop: polls the container (and the HTTP check) until a verdict. */
import type { ImageHealthcheck } from "../docker/types.js";
import { DeployError, messageOf } from "../errors.js";
import type { DeployContext } from "./context.js";
import { healthTimeoutMs, judgeContainer } from "./health.js";
import type { PipelineDeps } from "./run-deploy.js";

/**
 * Resolves when the new container is healthy: the image's HEALTHCHECK reports healthy, or
 * (without one) the stage's HTTP check returns the expected status, or (without either)
 * the container runs for the stability window without restarting. Throws `DeployError`
 * `health` on exit, restarts, an unhealthy verdict or the timeout.
 */
export async function waitUntilHealthy(
  deps: Pick<PipelineDeps, "docker" | "fetch" | "stabilityMs">,
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
  let lastProblem = "no check has passed yet";

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
      const problem = await checkHttp(deps.fetch, upstream, http);
      if (problem === null) {
        return;
      }
      lastProblem = problem;
    } else if (!healthcheck && state.running && Date.now() - started >= deps.stabilityMs) {
      return;
    }

    if (Date.now() - started >= timeoutMs) {
      throw new DeployError(
        "health",
        `health gate timed out after ${Math.round(timeoutMs / 1000)} s: ${lastProblem}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/** Returns `null` when the check passed, else what went wrong. */
async function checkHttp(
  fetcher: typeof fetch,
  upstream: { host: string; port: number },
  check: { path: string; expectedStatus: number; timeoutSeconds: number },
): Promise<string | null> {
  const url = `http://${upstream.host}:${upstream.port}${check.path}`;
  try {
    const response = await fetcher(url, {
      signal: AbortSignal.timeout(check.timeoutSeconds * 1000),
    });
    await response.body?.cancel();
    return response.status === check.expectedStatus
      ? null
      : `GET ${url} returned ${response.status}, expected ${check.expectedStatus}`;
  } catch (error) {
    return `GET ${url} failed: ${messageOf(error)}`;
  }
}
