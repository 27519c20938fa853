import { expect, type Page } from "@playwright/test";
import { ADMIN } from "./berth-server.js";

/** Attempts per page load in `openPage`. */
const LOAD_ATTEMPTS = 3;

/**
 * Opens a dashboard page and waits until the app has started. Containers that other tests on
 * the machine start and stop change the network interfaces. Chromium then aborts script loads
 * with net::ERR_NETWORK_CHANGED even on loopback and leaves a blank page, so such a load is
 * retried.
 */
export async function openPage(page: Page, path: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await page.goto(path);
    try {
      await page.locator("main#main").waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === LOAD_ATTEMPTS) {
        throw error;
      }
    }
  }
}

/** Signs in through the form as `user` (the admin by default), as a person would, and waits for the overview. */
export async function signIn(
  page: Page,
  user: { username: string; password: string } = ADMIN,
): Promise<void> {
  await openPage(page, "/login");
  await page.getByLabel("User name").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}
