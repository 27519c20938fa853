import { pushTestImage } from "@berth/testing";
import { expect, test } from "@playwright/test";
import {
  announcePush,
  createApprovalStage,
  createProject,
  uniqueSuffix,
} from "./support/fixtures.js";
import { TEST_REPOSITORY } from "./support/registry.js";
import { openPage, signIn } from "./support/session.js";

test("approve a pending candidate", async ({ page }) => {
  // A real deploy follows the approval, waiting for the health gate.
  test.setTimeout(90_000);
  const registryHost = new URL(process.env.BERTH_TEST_REGISTRY_URL ?? "").host;
  await signIn(page);
  const project = await createProject(page, `approve-${uniqueSuffix()}`);
  await createApprovalStage(page, project.id);

  // The first check of a stage records what exists and deploys nothing; the next new tag
  // becomes a candidate that waits for approval.
  await announcePush(page, `${registryHost}/${TEST_REPOSITORY}:1.2.0`);
  // NOTE: the API does not show when that first check has finished, because it runs after
  // the 202. The test gives it two seconds; a local check takes a few milliseconds.
  await page.waitForTimeout(2_000);
  const tag = `1.4.${Date.now() % 100_000}`;
  await pushTestImage({ registry: registryHost, repository: TEST_REPOSITORY, tag, content: tag });
  await announcePush(page, `${registryHost}/${TEST_REPOSITORY}:${tag}`);

  await openPage(page, "/");
  const tile = page.locator(`section:has(a[href="/projects/${project.id}"]) [data-stage="prod"]`);
  await expect(tile.getByText("waiting for approval")).toBeVisible({ timeout: 20_000 });
  await tile.getByRole("link", { name: tag }).click();

  await expect(page.getByRole("heading", { name: `Deploy ${tag}` })).toBeVisible();
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText(`Approved by`)).toBeVisible();
  await expect(page.getByLabel("Deploy log")).toContainText("deploy succeeded", {
    timeout: 60_000,
  });
});
