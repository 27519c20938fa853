import { expect, test } from "@playwright/test";
import { createProject, uniqueSuffix } from "./support/fixtures.js";
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

test("project token shows its project", async ({ page }) => {
  const suffix = uniqueSuffix();
  const name = `ci-${suffix}`;
  await signIn(page);
  const project = await createProject(page, `limited-${suffix}`);
  await openPage(page, "/settings");

  await page.getByLabel("Name", { exact: true }).last().fill(name);
  await page.getByLabel("Project", { exact: true }).selectOption({ label: `limited-${suffix}` });
  await page.getByRole("button", { name: "Create token" }).click();

  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row.getByRole("cell", { name: `limited-${suffix}` })).toBeVisible();
  const listed = await page.request.get("/api/v1/tokens");
  const { tokens } = (await listed.json()) as {
    tokens: Array<{ name: string; projectId: string | null }>;
  };
  expect(tokens.find((token) => token.name === name)?.projectId).toBe(project.id);
});
