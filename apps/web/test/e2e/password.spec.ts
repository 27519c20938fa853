import { type APIRequestContext, expect, type Locator, type Page, test } from "@playwright/test";
import { uniqueSuffix } from "./support/fixtures.js";
import { openPage, signIn } from "./support/session.js";

interface Account {
  username: string;
  password: string;
}

/**
 * Creates a viewer through the API as the admin and signs in as that user. The tests change
 * this user's password, because the other tests sign in with the admin's.
 */
async function signInAsNewViewer(page: Page, name: string): Promise<Account> {
  const account = { username: `${name}-${uniqueSuffix()}`, password: "first-password-1" };
  await signIn(page);
  const created = await page.request.post("/api/v1/users", {
    data: { ...account, role: "viewer" },
  });
  expect(created.status(), await created.text()).toBe(201);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, account);
  return account;
}

/** Returns the status of a login through `request`, whose cookies are not the page's. */
async function loginStatus(request: APIRequestContext, account: Account): Promise<number> {
  const response = await request.post("/api/v1/auth/login", { data: account });
  return response.status();
}

function passwordForm(page: Page): Locator {
  return page.getByRole("form", { name: "Change password" });
}

async function fillPasswordForm(
  page: Page,
  values: { current: string; next: string; repeat: string },
): Promise<void> {
  const form = passwordForm(page);
  await form.getByLabel("Current password").fill(values.current);
  await form.getByLabel("New password", { exact: true }).fill(values.next);
  await form.getByLabel("Repeat new password").fill(values.repeat);
  await form.getByRole("button", { name: "Change password" }).click();
}

test("password change signs in with the new one", async ({ page, request }) => {
  const account = await signInAsNewViewer(page, "pw-change");
  await openPage(page, "/settings");

  await fillPasswordForm(page, { current: account.password, next: "short", repeat: "short" });
  const newError = page.locator('[data-field="password-new"] .field-error');
  await expect(newError).toContainText("12");
  await expect(page.getByLabel("New password", { exact: true })).toHaveAttribute(
    "aria-invalid",
    "true",
  );

  await fillPasswordForm(page, {
    current: account.password,
    next: "second-password-2",
    repeat: "second-password-3",
  });
  await expect(page.locator('[data-field="password-confirm"] .field-error')).toContainText(
    "does not match the new password",
  );

  await fillPasswordForm(page, {
    current: account.password,
    next: "second-password-2",
    repeat: "second-password-2",
  });
  await expect(passwordForm(page).getByRole("status")).toContainText("Password changed.");
  await expect(page.getByLabel("Current password")).toHaveValue("");

  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, { username: account.username, password: "second-password-2" });
  expect(await loginStatus(request, account)).toBe(401);
});

test("wrong current password shows at its field", async ({ page, request }) => {
  const account = await signInAsNewViewer(page, "pw-wrong");
  await openPage(page, "/settings");

  await fillPasswordForm(page, {
    current: "not-my-password",
    next: "second-password-2",
    repeat: "second-password-2",
  });
  await expect(page.locator('[data-field="password-current"] .field-error')).toHaveText(
    "current password is wrong: enter the password you logged in with",
  );
  await expect(passwordForm(page).getByRole("status")).toHaveCount(0);

  expect(await loginStatus(request, account)).toBe(200);
  expect(await loginStatus(request, { ...account, password: "second-password-2" })).toBe(401);
});
