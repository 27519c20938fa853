import { expect, test } from "@playwright/test";
import { createProject, uniqueSuffix } from "./support/fixtures.js";
import { TEST_REPOSITORY } from "./support/registry.js";
import { openPage, signIn } from "./support/session.js";

test("registry, project, stage and a deploy", async ({ page }) => {
  // Three real deploys, each waiting about ten seconds for the health gate.
  test.setTimeout(120_000);
  const registryUrl = process.env.BERTH_TEST_REGISTRY_URL ?? "";
  // Names are unique per attempt, so a retry on the same server starts clean.
  const suffix = uniqueSuffix();
  const projectName = `Shop ${suffix}`;
  await signIn(page);

  await test.step("add a registry", async () => {
    await page.getByRole("link", { name: "Registries" }).click();
    await page.getByRole("button", { name: "Add registry" }).click();
    await page.getByLabel("Name", { exact: true }).fill(`local-${suffix}`);
    await page.getByLabel("Type").selectOption("oci");
    await page.getByLabel("URL", { exact: true }).fill("not a url");
    await page.getByRole("button", { name: "Save registry" }).click();
    await expect(page.locator('[data-field="registry-url"] .field-error')).toContainText(
      '"not a url" is not an http:// or https:// URL',
    );
    await page.getByLabel("URL", { exact: true }).fill(registryUrl);
    await page.getByRole("button", { name: "Save registry" }).click();
    await expect(page.getByRole("cell", { name: `local-${suffix}` })).toBeVisible();
  });

  await test.step("create a project, fixing a field the form rejects", async () => {
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("link", { name: "New project" }).click();
    await expect(page).toHaveTitle("New project · Berth");
    await page.getByLabel("Name", { exact: true }).fill(projectName);
    await page.getByLabel("Slug").fill("Shop!");
    await page.getByLabel("Registry").selectOption({ label: `local-${suffix} (${registryUrl})` });
    await page.getByLabel("Repository").fill(TEST_REPOSITORY);
    await page.getByRole("button", { name: "Create project" }).click();
    const slugError = page.locator('[data-field="project-slug"] .field-error');
    await expect(slugError).toContainText('"Shop!" is not a valid slug');
    await expect(page.getByLabel("Slug")).toHaveAttribute("aria-invalid", "true");

    await page.getByLabel("Slug").fill(`shop-${suffix}`);
    await page.getByRole("button", { name: "Create project" }).click();
    await expect(page.getByRole("heading", { name: projectName, level: 1 })).toBeVisible();
    await expect(page.getByText("No stages yet")).toBeVisible();
  });

  await test.step("create a stage, fixing a field the form rejects", async () => {
    await page.getByRole("link", { name: "Add stage" }).click();
    await page.getByLabel("Stage name").fill("prod");
    await page.getByLabel("Version range").fill("^^1");
    await page.getByRole("button", { name: "Create stage" }).click();
    await expect(page.locator('[data-field="stage-range"] .field-error')).toContainText(
      'invalid semver range "^^1"',
    );
    await expect(page.getByLabel("Version range")).toBeFocused();

    await page.getByLabel("Version range").fill("^1");
    await page.getByLabel("Container port").fill("8080");
    await page.getByRole("button", { name: "Create stage" }).click();
    await expect(page.getByRole("heading", { name: "Stage prod" })).toBeVisible();
    await expect(page).toHaveTitle(`${projectName} prod · Berth`);
  });

  const project = page.getByRole("region", { name: projectName });
  await test.step("see the stage on the overview", async () => {
    await page.getByRole("link", { name: "Overview" }).click();
    const tile = project.locator('[data-stage="prod"]');
    await expect(tile).toBeVisible();
    await expect(tile.getByText("not deployed")).toBeVisible();
  });

  await test.step("deploy a tag and land on its page", async () => {
    await project.locator('[data-stage="prod"]').getByRole("link", { name: "prod" }).click();
    await page.getByLabel("Tag", { exact: true }).fill("bad tag!");
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(page.locator("#deploy-tag-error")).toContainText('invalid tag "bad tag!"');

    await page.getByLabel("Tag", { exact: true }).fill("1.2.0");
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Deploy 1.2.0" })).toBeVisible();
    await expect(page).toHaveTitle("Deploy 1.2.0 · Berth");
    await expect(page.getByLabel("Deploy log")).toBeVisible();
    await expect(page.getByText("succeeded", { exact: true }).first()).toBeVisible({
      timeout: 60_000,
    });
    await expect(page.getByLabel("Deploy log")).toContainText("deploy succeeded");
    await page.screenshot({ path: "test-results/screenshots/desktop-deploy.png", fullPage: true });
  });

  await test.step("deploy a newer tag, then roll back to 1.2.0", async () => {
    const firstDeploy = page.url();
    await page.getByRole("link", { name: "prod", exact: true }).click();
    await page.getByLabel("Tag", { exact: true }).fill("1.1.0");
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Deploy 1.1.0" })).toBeVisible();
    await expect(page.getByLabel("Deploy log")).toContainText("deploy succeeded", {
      timeout: 60_000,
    });

    await openPage(page, firstDeploy);
    await page.getByRole("button", { name: "Roll back to this deploy" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText("Roll the stage back to 1.2.0?");
    await dialog.getByRole("button", { name: "Roll back to this deploy" }).click();
    await expect(page).not.toHaveURL(firstDeploy);
    await expect(page.getByRole("heading", { name: "Deploy 1.2.0" })).toBeVisible();
    await expect(page.getByText("rollback by admin")).toBeVisible();
    await expect(page.getByLabel("Deploy log")).toContainText("deploy succeeded", {
      timeout: 60_000,
    });
  });

  await test.step("see the running instance", async () => {
    await page.getByRole("link", { name: "Instances" }).click();
    const row = page.getByRole("row", { name: new RegExp(`${projectName} / prod`) });
    await expect(row.first()).toContainText("1.2.0");
    await expect(row.first()).toContainText("running");
  });

  await test.step("find the deploy in the filtered history", async () => {
    await page.getByRole("link", { name: "Deploys" }).click();
    await page.getByLabel("Project").selectOption({ label: projectName });
    await expect(page).toHaveURL(/projectId=/);
    await expect(page.getByRole("link", { name: "1.2.0" })).toHaveCount(2);
    await expect(page.getByRole("link", { name: "1.1.0" })).toHaveCount(1);
    await page.getByLabel("Trigger").selectOption("rollback");
    await expect(page.getByRole("row")).toHaveCount(2);
    await expect(page.getByRole("link", { name: "1.2.0" })).toHaveCount(1);
    await page.getByLabel("Status").selectOption("rejected");
    await expect(page.getByText("No deploys match")).toBeVisible();
  });
});

test("stage preview picks a tag", async ({ page }) => {
  await signIn(page);
  const project = await createProject(page, `preview-${uniqueSuffix()}`);
  await openPage(page, `/projects/${project.id}/stages/new`);
  // The approval flow pushes a 1.4.x tag into the same repository, so it is excluded here.
  await page.getByLabel("Excluded patterns").fill("1.4.*");
  await expect(page.getByTestId("preview-selected")).toHaveText("1.2.0", { timeout: 5_000 });

  await page.getByLabel("Tag patterns").fill("1.0.*\n1.1.*");
  await expect(page.getByTestId("preview-selected")).toHaveText("1.1.0");

  await page.getByLabel("Allow pre-releases").check();
  await page.getByLabel("Tag patterns").fill("");
  await expect(page.getByTestId("preview-selected")).toHaveText("1.3.0-rc.1");
});

test("a slug taken twice shows the API's conflict message", async ({ page }) => {
  await signIn(page);
  const slug = `taken-${uniqueSuffix()}`;
  await createProject(page, slug);
  await openPage(page, "/projects/new");
  await page.getByLabel("Name", { exact: true }).fill("Shop again");
  await page.getByLabel("Slug").fill(slug);
  await page.getByLabel("Repository").fill("acme/other");
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page.getByRole("alert")).toContainText("slug");
  await expect(page).toHaveURL(/\/projects\/new$/);
});
