/** Reading a stage's poll status and a deploy's progress through the API, for fault tests. */
import type { ApiClient } from "./api-client.js";
import type { Deploy } from "./flow.js";
import { waitFor } from "./wait.js";

/** The `poll` field of a stage in the API. */
export interface PollStatus {
  lastPolledAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  failureStreak: number;
  nextDueAt: string;
}

/** Returns the stage's poll status, or null before its first poll. */
export async function stagePoll(api: ApiClient, stageId: string): Promise<PollStatus | null> {
  const { stage } = await api.get<{ stage: { poll: PollStatus | null } }>(`/stages/${stageId}`);
  return stage.poll;
}

/** Waits until the stage's poll status passes `accept`. */
export function waitForPoll(
  api: ApiClient,
  stageId: string,
  description: string,
  accept: (poll: PollStatus) => boolean,
  timeoutMs = 30_000,
): Promise<PollStatus> {
  return waitFor(
    description,
    async () => {
      const poll = await stagePoll(api, stageId);
      return poll && accept(poll) ? poll : undefined;
    },
    { timeoutMs },
  );
}

/** Waits until the deploy is at `step`, e.g. in its health gate. */
export function waitForStep(api: ApiClient, deployId: string, step: string): Promise<Deploy> {
  return waitFor(`deploy ${deployId} to reach step ${step}`, async () => {
    const { deploy } = await api.get<{ deploy: Deploy }>(`/deploys/${deployId}`);
    return deploy.step === step && deploy.status === "running" ? deploy : undefined;
  });
}

/** Returns the messages of the deploy's log lines at `level`. */
export async function deployLogMessages(
  api: ApiClient,
  deployId: string,
  level: "info" | "warn" | "error",
): Promise<string[]> {
  const { entries } = await api.get<{ entries: Array<{ level: string; message: string }> }>(
    `/deploys/${deployId}/log`,
  );
  return entries.filter((entry) => entry.level === level).map((entry) => entry.message);
}
