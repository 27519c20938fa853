import { expect, type Page, test } from "@playwright/test";
import { createApprovalStage, createProject, uniqueSuffix } from "./support/fixtures.js";
import { openPage, signIn } from "./support/session.js";

const PROJECT_URL = "https://hooks.example.test/project";
const STAGE_URL = "https://hooks.example.test/stage";

/** Sets a notification URL through the API with the page's session, which must be an admin's. */
async function setNotificationUrl(page: Page, path: string, url: string): Promise<void> {
  const response = await page.request.patch(path, { data: { notificationUrl: url } });
  expect(response.status(), await response.text()).toBe(200);
}

async function storedNotificationUrl(page: Page, path: string, key: string): Promise<unknown> {
  const response = await page.request.get(path);
  expect(response.status(), await response.text()).toBe(200);
  const body = (await response.json()) as Record<string, { notificationUrl: unknown }>;
  return body[key]?.notificationUrl;
}

test("notification URL is read-only for operators", async ({ page }) => {
  const suffix = uniqueSuffix();
  const operator = { username: `operator-${suffix}`, password: "operator-password-1" };
  await signIn(page);
  const project = await createProject(page, `notify-${suffix}`);
  const stage = await createApprovalStage(page, project.id);
  await setNotificationUrl(page, `/api/v1/projects/${project.id}`, PROJECT_URL);
  await setNotificationUrl(page, `/api/v1/stages/${stage.id}`, STAGE_URL);
  const created = await page.request.post("/api/v1/users", {
    data: { ...operator, role: "operator" },
  });
  expect(created.status(), await created.text()).toBe(201);

  await test.step("an admin can edit both fields", async () => {
    await openPage(page, `/projects/${project.id}`);
    await expect(page.getByLabel("Notification URL")).toBeEditable();
    await openPage(page, `/stages/${stage.id}`);
    await expect(page.getByLabel("Notification URL")).toBeEditable();
  });

  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, operator);

  await test.step("an operator saves a project without touching the URL", async () => {
    await openPage(page, `/projects/${project.id}`);
    const field = page.getByLabel("Notification URL");
    await expect(field).toHaveValue(PROJECT_URL);
    await expect(field).not.toBeEditable();
    await expect(page.locator("#project-notification-hint")).toContainText(
      "Only admins can change it.",
    );

    await page.getByLabel("Name", { exact: true }).fill(`Renamed ${suffix}`);
    await page.getByRole("button", { name: "Save project" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Project saved." })).toBeVisible();
    await expect(page.getByRole("heading", { name: `Renamed ${suffix}`, level: 1 })).toBeVisible();
    await expect(page.getByRole("alert")).toHaveCount(0);
    expect(await storedNotificationUrl(page, `/api/v1/projects/${project.id}`, "project")).toBe(
      PROJECT_URL,
    );
  });

  await test.step("an operator saves a stage without touching the URL", async () => {
    await openPage(page, `/stages/${stage.id}`);
    const field = page.getByLabel("Notification URL");
    await expect(field).toHaveValue(STAGE_URL);
    await expect(field).not.toBeEditable();
    await expect(page.locator("#stage-notification-hint")).toHaveText("Only admins can change it.");

    await page.getByLabel("Instance limit").fill("2");
    await page.getByRole("button", { name: "Save stage" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Stage saved." })).toBeVisible();
    await expect(page.getByRole("alert")).toHaveCount(0);
    expect(await storedNotificationUrl(page, `/api/v1/stages/${stage.id}`, "stage")).toBe(
      STAGE_URL,
    );
  });
});
