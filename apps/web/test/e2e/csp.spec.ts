import { expect, type Page, test } from "@playwright/test";
import { createApprovalStage, createProject, uniqueSuffix } from "./support/fixtures.js";
import { openPage, signIn } from "./support/session.js";

/** Main-menu links, with the heading that shows each page has loaded. */
const MENU = [
  { link: "Deploys", heading: "Deploys" },
  { link: "Quick deploy", heading: "Quick deploy" },
  { link: "Instances", heading: "Instances" },
  { link: "Registries", heading: "Registries" },
  { link: "Settings", heading: "Settings" },
  { link: "Overview", heading: "Overview" },
];

/**
 * Collects what the page logs about the Content Security Policy. Chromium logs one console
 * error for each inline script or style that the policy blocks.
 */
function watchPolicyViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) {
      violations.push(`${page.url()}: ${message.text()}`);
    }
  });
  return violations;
}

async function expectHeading(page: Page, name: string): Promise<void> {
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await expect(page.locator(".loading")).toHaveCount(0);
}

test("page walk logs no CSP violation", async ({ page }) => {
  const violations = watchPolicyViolations(page);
  const suffix = uniqueSuffix();

  await signIn(page);
  const project = await createProject(page, `csp-${suffix}`);
  const stage = await createApprovalStage(page, project.id);
  // The registry has no such tag, so the deploy fails when it resolves the digest and
  // starts no container.
  const created = await page.request.post("/api/v1/deploys", {
    data: { stageId: stage.id, tag: "0.0.0-missing" },
  });
  expect(created.status(), await created.text()).toBe(201);
  const deploy = ((await created.json()) as { deploy: { id: string } }).deploy;

  await test.step("client-side navigation through the menu", async () => {
    for (const entry of MENU) {
      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: entry.link })
        .click();
      await expectHeading(page, entry.heading);
    }
  });

  await test.step("full loads of the detail pages", async () => {
    const pages = [
      { path: "/projects/new", heading: "New project" },
      { path: `/projects/${project.id}`, heading: `Project csp-${suffix}` },
      { path: `/projects/${project.id}/stages/new`, heading: "New stage" },
      { path: `/stages/${stage.id}`, heading: "Stage prod" },
      { path: `/deploys/${deploy.id}`, heading: "Deploy 0.0.0-missing" },
    ];
    for (const entry of pages) {
      await openPage(page, entry.path);
      await expectHeading(page, entry.heading);
    }
  });

  await test.step("a form and a dialog that open on click", async () => {
    await openPage(page, "/registries");
    await page.getByRole("button", { name: "Add registry" }).click();
    await expect(page.getByRole("button", { name: "Save registry" })).toBeVisible();

    await openPage(page, `/projects/${project.id}`);
    await page.getByRole("button", { name: "Delete project" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete project" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Go back" }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("status")).toHaveText("You are signed out.");
  });

  expect(violations).toEqual([]);
});

test("route announcer stays visually hidden", async ({ page }) => {
  await signIn(page);
  await page.getByRole("link", { name: "Deploys" }).click();
  await expectHeading(page, "Deploys");

  // SvelteKit reads the new page title out through this element after each navigation. The
  // build removes its inline style, which the policy blocks, so app.css must hide it.
  const announcer = page.locator("#svelte-announcer");
  await expect(announcer).toHaveText("Deploys · Berth");
  await expect(announcer).toHaveCSS("position", "absolute");
  await expect(announcer).toHaveCSS("width", "1px");
  await expect(announcer).toHaveCSS("height", "1px");
  await expect(announcer).toHaveCSS("overflow", "hidden");
});
