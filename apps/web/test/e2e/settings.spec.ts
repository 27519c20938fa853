import { expect, test } from "@playwright/test";
import { uniqueSuffix } from "./support/fixtures.js";
import { openPage, signIn } from "./support/session.js";

test("settings reject a bad interval, then save", async ({ page }) => {
  await signIn(page);
  await openPage(page, "/settings");
  await expect(page).toHaveTitle("Settings · Berth");
  const interval = page.getByLabel("Poll interval (seconds)");

  await interval.fill("5");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator('[data-field="settings-interval"] .field-error')).toContainText(
    'poll interval "5" must be a whole number of seconds, at least 10',
  );
  const unchanged = await page.request.get("/api/v1/settings");
  expect(
    ((await unchanged.json()) as { settings: { pollIntervalSeconds: number } }).settings
      .pollIntervalSeconds,
  ).toBe(300);

  await interval.fill("600");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Settings saved.")).toBeVisible();
  const saved = await page.request.get("/api/v1/settings");
  expect(
    ((await saved.json()) as { settings: { pollIntervalSeconds: number } }).settings
      .pollIntervalSeconds,
  ).toBe(600);

  const restored = await page.request.patch("/api/v1/settings", {
    data: { pollIntervalSeconds: 300 },
  });
  expect(restored.status()).toBe(200);
});

test("new API token is shown once", async ({ page }) => {
  const name = `ci-${uniqueSuffix()}`;
  await signIn(page);
  await openPage(page, "/settings");
  await page.getByLabel("Name", { exact: true }).last().fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const notice = page.getByRole("status").filter({ hasText: `Token ${name} created` });
  await expect(notice).toContainText("berth_");
  await expect(page.getByRole("cell", { name })).toBeVisible();

  await page.reload();
  await expect(page.getByText(`Token ${name} created`)).toHaveCount(0);
  await expect(page.getByRole("cell", { name })).toBeVisible();
});
