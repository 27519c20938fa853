/**
 * The health gate's decisions, as pure functions over what the engine and the HTTP check
 * report, so every case is tested without waiting on a container.
 */
import type { ContainerState, ImageHealthcheck } from "../docker/types.js";

export type HealthVerdict = { kind: "pass" } | { kind: "wait" } | { kind: "fail"; reason: string };

const WAIT: HealthVerdict = { kind: "wait" };

/**
 * Judges one container snapshot. Exit and restarts fail at once, whatever the check reports,
 * because a restart policy would otherwise hide a crash loop. With a HEALTHCHECK the engine's
 * status decides; without one the caller's HTTP check or stability window decides, so this
 * returns `wait`.
 */
export function judgeContainer(state: ContainerState): HealthVerdict {
  // Podman reports `stopped` for an exited container its restart policy will start again.
  if (state.status === "exited" || state.status === "dead" || state.status === "stopped") {
    return { kind: "fail", reason: `container exited with code ${state.exitCode}` };
  }
  if (state.status === "restarting" || state.restartCount > 0) {
    return {
      kind: "fail",
      reason: `container is restarting (restart count ${state.restartCount}): check its logs`,
    };
  }
  if (!state.running) {
    return WAIT;
  }
  if (state.health?.status === "healthy") {
    return { kind: "pass" };
  }
  if (state.health?.status === "unhealthy") {
    const output = state.health.lastOutput ? `: ${state.health.lastOutput}` : "";
    return {
      kind: "fail",
      reason: `healthcheck failed ${state.health.failingStreak} times${output}`,
    };
  }
  return WAIT;
}

/**
 * Returns how long the gate waits. With a HEALTHCHECK it covers the start period plus every
 * retry, because a budget of only the start period rolls back slow but good releases. The
 * setting is a floor.
 */
export function healthTimeoutMs(
  settingSeconds: number,
  healthcheck: ImageHealthcheck | null,
): number {
  const setting = settingSeconds * 1000;
  if (!healthcheck) {
    return setting;
  }
  const perTry = healthcheck.intervalMs + healthcheck.timeoutMs;
  const needed = healthcheck.startPeriodMs + (healthcheck.retries + 1) * perTry;
  return Math.max(setting, needed);
}

/**
 * Names the setting or HEALTHCHECK fields behind `healthTimeoutMs`, for the timeout message.
 * With an HTTP check it adds that the stage's `timeoutSeconds` limits each request and not
 * the gate, because users otherwise take the gate's limit for that field.
 */
export function describeHealthLimit(
  settingSeconds: number,
  healthcheck: ImageHealthcheck | null,
  httpCheck: { timeoutSeconds: number } | null,
): string {
  const setting = "settings healthTimeoutSeconds";
  if (healthcheck) {
    const needed = `the image HEALTHCHECK's start period plus ${healthcheck.retries + 1} tries of its interval and timeout`;
    return healthTimeoutMs(settingSeconds, healthcheck) > settingSeconds * 1000
      ? `${needed}, longer than ${setting} of ${settingSeconds} s`
      : `${setting}, which covers ${needed}`;
  }
  if (httpCheck) {
    return `${setting}, while the stage's health check timeoutSeconds of ${httpCheck.timeoutSeconds} s limits each request`;
  }
  return setting;
}
