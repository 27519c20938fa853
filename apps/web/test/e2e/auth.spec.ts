import { expect, test } from "@playwright/test";
import { ADMIN } from "./support/berth-server.js";
import { openPage, signIn } from "./support/session.js";

test("wrong password shows the API's message", async ({ page }) => {
  await openPage(page, "/login");
  await expect(page).toHaveTitle("Sign in · Berth");
  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("user name or password is wrong");
  await expect(page).toHaveURL(/\/login$/);
});

test("signed-out visit goes to sign-in and back", async ({ page }) => {
  await openPage(page, "/deploys");
  await expect(page).toHaveURL(/\/login\?next=%2Fdeploys$/);
  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Deploys" })).toBeVisible();
  await expect(page).toHaveTitle("Deploys · Berth");
});

test("sign out ends the session", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("status")).toHaveText("You are signed out.");

  await openPage(page, "/settings");
  await expect(page).toHaveURL(/\/login\?next=%2Fsettings$/);
});
