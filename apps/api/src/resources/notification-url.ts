import { hasAccess, type Principal } from "../auth/principal.js";
import { ApiError } from "../http/errors.js";

/**
 * Rejects a project or stage change of `notificationUrl` by a caller without admin access.
 * The URL decides where Berth sends signed deploy events, so it is admin-only like the other
 * outbound URLs. Sending the stored value again passes, because the dashboard's forms send
 * every field.
 */
export async function requireAdminForNotificationUrl(
  principal: Principal,
  requested: string | null | undefined,
  current: () => Promise<string | null>,
  target: string,
): Promise<void> {
  if (requested === undefined || hasAccess(principal, "admin")) {
    return;
  }
  if (requested === (await current())) {
    return;
  }
  throw new ApiError(
    "forbidden",
    `changing the notification URL of ${target} requires admin access: leave notificationUrl as it is, or ask an admin to set it`,
  );
}
