import type { ProjectForm } from "./validation.js";

/**
 * Builds the project request body. Only admins may change `notificationUrl`, so without
 * `includeNotificationUrl` the body leaves the stored URL as it is.
 */
export function projectToBody(
  form: ProjectForm,
  options: { includeNotificationUrl: boolean },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    slug: form.slug,
    name: form.name.trim(),
    registryId: form.registryId,
    repository: form.repository,
  };
  if (options.includeNotificationUrl) {
    body.notificationUrl = form.notificationUrl.trim() || null;
  }
  return body;
}
