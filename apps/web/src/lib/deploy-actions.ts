import type { DeployAction } from "./api/endpoints.js";
import type { Deploy } from "./types.js";

export interface ActionInfo {
  action: DeployAction;
  label: string;
  /** Question to confirm before the action runs; set for actions that stop or replace something running. */
  confirm?: string;
}

/**
 * Lists the actions a deploy offers in its state. `promoteTarget` is the name of the stage that
 * promotes from this deploy's stage, if there is one.
 */
export function availableActions(deploy: Deploy, promoteTarget: string | null): ActionInfo[] {
  const actions: ActionInfo[] = [];
  switch (deploy.status) {
    case "pending_approval":
      actions.push({ action: "approve", label: "Approve" });
      actions.push({
        action: "reject",
        label: "Reject",
        confirm: `Reject ${deploy.tag}? The stage will not deploy this candidate.`,
      });
      break;
    case "queued":
      actions.push({
        action: "cancel",
        label: "Cancel deploy",
        confirm: `Cancel the deploy of ${deploy.tag}? It will not run, and the running instances stay.`,
      });
      break;
    case "running":
      // A running deploy runs to its end: the pipeline cleans up after itself on failure.
      break;
    case "succeeded":
      actions.push({
        action: "redeploy",
        label: "Redeploy",
        confirm: `Deploy ${deploy.tag} again? A new container replaces the running one.`,
      });
      actions.push({
        action: "rollback",
        label: "Roll back to this deploy",
        confirm: `Roll the stage back to ${deploy.tag}? The newer instances are replaced by this image.`,
      });
      if (promoteTarget) {
        actions.push({
          action: "promote",
          label: `Promote to ${promoteTarget}`,
          confirm: `Deploy ${deploy.tag} to ${promoteTarget}?`,
        });
      }
      break;
    default:
      // Failed, rolled back, cancelled or rejected: only a fresh attempt makes sense.
      actions.push({
        action: "redeploy",
        label: "Try again",
        confirm: `Deploy ${deploy.tag} again?`,
      });
  }
  return actions;
}
