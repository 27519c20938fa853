import { expect, test } from "@playwright/test";
import { signIn } from "./support/session.js";

// Runs only in the phone project: the menu button shows only at phone width.
test("phone menu opens and navigates", async ({ page }) => {
  await signIn(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings", level: 1 })).toBeVisible();
});
