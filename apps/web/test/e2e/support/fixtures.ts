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

/** Creates a stage through the API that waits for approval before it deploys. */
export async function createApprovalStage(page: Page, projectId: string): Promise<{ id: string }> {
  const stage = await page.request.post("/api/v1/stages", {
    data: {
      projectId,
      name: "prod",
      policy: { kind: "semver" },
      autoDeploy: false,
      containerPort: 8080,
      healthCheck: { path: "/", expectedStatus: 200, intervalSeconds: 1, timeoutSeconds: 2 },
    },
  });
  expect(stage.status(), await stage.text()).toBe(201);
  return ((await stage.json()) as { stage: { id: string } }).stage;
}

/**
 * Announces a pushed tag through the generic webhook, as a CI script would, with a freshly
 * generated secret in the URL.
 */
export async function announcePush(page: Page, image: string): Promise<void> {
  const secret = await page.request.post("/api/v1/webhooks/generic/secret");
  expect(secret.status(), await secret.text()).toBe(201);
  const { path } = (await secret.json()) as { path: string };
  const delivery = await page.request.post(path, { data: { image } });
  expect(delivery.status(), await delivery.text()).toBeLessThan(300);
}
