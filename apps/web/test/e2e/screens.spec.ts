import { expect, test } from "@playwright/test";
import { openPage, signIn } from "./support/session.js";

/** Pages a reviewer looks at, with the heading that shows each has loaded. */
const PAGES = [
  { path: "/", heading: "Overview", name: "overview" },
  { path: "/deploys", heading: "Deploys", name: "deploys" },
  { path: "/quick-deploy", heading: "Quick deploy", name: "quick-deploy" },
  { path: "/instances", heading: "Instances", name: "instances" },
  { path: "/registries", heading: "Registries", name: "registries" },
  { path: "/settings", heading: "Settings", name: "settings" },
];

test("screenshots of the main pages", async ({ page }, testInfo) => {
  await openPage(page, "/login");
  await page.screenshot({
    path: `test-results/screenshots/${testInfo.project.name}-login.png`,
    fullPage: true,
  });
  await signIn(page);
  for (const entry of PAGES) {
    await openPage(page, entry.path);
    await expect(page.getByRole("heading", { name: entry.heading, level: 1 })).toBeVisible();
    await expect(page.locator(".loading")).toHaveCount(0);
    await page.screenshot({
      path: `test-results/screenshots/${testInfo.project.name}-${entry.name}.png`,
      fullPage: true,
    });
  }
});
