import { expect, test } from "@playwright/test";
import { uniqueSuffix } from "./support/fixtures.js";
import { TEST_REPOSITORY } from "./support/registry.js";
import { openPage, signIn } from "./support/session.js";

test("quick deploy from an image reference", async ({ page }) => {
  // A real deploy follows, waiting for the health gate.
  test.setTimeout(90_000);
  const registryHost = new URL(process.env.BERTH_TEST_REGISTRY_URL ?? "").host;
  const slug = `quick-${uniqueSuffix()}`;
  await signIn(page);
  // Quick deploy finds the registry by its host, so one must be configured for it.
  const registry = await page.request.post("/api/v1/registries", {
    data: { name: `registry-${slug}`, type: "oci", url: process.env.BERTH_TEST_REGISTRY_URL },
  });
  expect(registry.status(), await registry.text()).toBe(201);

  await openPage(page, "/quick-deploy");
  await page.getByRole("button", { name: "Inspect" }).click();
  await expect(page.locator('[data-field="quick-image"] .field-error')).toContainText(
    "paste an image reference",
  );

  await page.getByLabel("Image reference").fill(`${registryHost}/${TEST_REPOSITORY}:1.1.0`);
  await page.getByRole("button", { name: "Inspect" }).click();
  await expect(page.getByRole("heading", { name: TEST_REPOSITORY })).toBeVisible();
  await expect(page.getByLabel("Tag", { exact: true })).toHaveValue("1.1.0");
  await page.getByLabel("Project slug").fill(slug);
  await page.getByLabel("Tag", { exact: true }).selectOption("1.2.0");
  await page.getByRole("button", { name: "Deploy", exact: true }).click();

  await expect(page.getByRole("heading", { name: "Deploy 1.2.0" })).toBeVisible();
  await expect(page.getByLabel("Deploy log")).toContainText("deploy succeeded", {
    timeout: 60_000,
  });
});
