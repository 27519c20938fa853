import { expect, type Page } from "@playwright/test";
import { ADMIN } from "./berth-server.js";

/** Signs in through the form, as a person would, and waits for the overview. */
export async function signIn(page: Page): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}
