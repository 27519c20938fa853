import { expect, type Page } from "@playwright/test";
import { TEST_REPOSITORY } from "./registry.js";

/** Returns a suffix that keeps names unique across tests and retries on one server. */
export function uniqueSuffix(): string {
  return Date.now().toString(36);
}

/**
 * Creates a registry for the test registry and a project on it through the API, with the
 * signed-in page's session, for tests whose subject is a later step.
 */
export async function createProject(page: Page, slug: string): Promise<{ id: string }> {
  const registry = await page.request.post("/api/v1/registries", {
    data: { name: `registry-${slug}`, type: "oci", url: process.env.BERTH_TEST_REGISTRY_URL },
  });
  expect(registry.status(), await registry.text()).toBe(201);
  const registryId = ((await registry.json()) as { registry: { id: string } }).registry.id;

  const project = await page.request.post("/api/v1/projects", {
    data: { slug, name: `Project ${slug}`, registryId, repository: TEST_REPOSITORY },
  });
  expect(project.status(), await project.text()).toBe(201);
  return ((await project.json()) as { project: { id: string } }).project;
}
