import { expect, test } from "@playwright/test";
import { createProject, uniqueSuffix } from "./support/fixtures.js";
import { openPage, signIn } from "./support/session.js";

test("failing deploy shows its rollback", async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page);
  // A short health timeout keeps the failing health gate quick; the old value is restored.
  const before = await page.request.get("/api/v1/settings");
  const { healthTimeoutSeconds } = (
    (await before.json()) as { settings: { healthTimeoutSeconds: number } }
  ).settings;
  const patched = await page.request.patch("/api/v1/settings", {
    data: { healthTimeoutSeconds: 5 },
  });
  expect(patched.status(), await patched.text()).toBe(200);

  try {
    const project = await createProject(page, `failing-${uniqueSuffix()}`);
    const stage = await page.request.post("/api/v1/stages", {
      data: {
        projectId: project.id,
        name: "prod",
        policy: { kind: "semver" },
        containerPort: 8080,
        // busybox httpd returns 404 for this path, so the health gate fails.
        healthCheck: {
          path: "/missing",
          expectedStatus: 200,
          intervalSeconds: 1,
          timeoutSeconds: 2,
        },
      },
    });
    expect(stage.status(), await stage.text()).toBe(201);
    const stageId = ((await stage.json()) as { stage: { id: string } }).stage.id;

    await openPage(page, `/stages/${stageId}`);
    await page.getByLabel("Tag", { exact: true }).fill("1.2.0");
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Deploy 1.2.0" })).toBeVisible();

    const status = page.locator(".toolbar .status");
    await expect(status).toHaveText("rolled back", { timeout: 60_000 });
    await expect(page.getByText("Complete")).toBeVisible();
    await expect(page.getByText("health gate timed out after 5 s").first()).toBeVisible();
    await expect(page.getByLabel("Deploy log")).toContainText(
      "removed the container this deploy created",
    );
    await expect(page.getByRole("button", { name: "Try again" })).toBeVisible();
    await page.screenshot({
      path: "test-results/screenshots/desktop-deploy-failed.png",
      fullPage: true,
    });
  } finally {
    await page.request.patch("/api/v1/settings", { data: { healthTimeoutSeconds } });
  }
});
