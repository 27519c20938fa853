import { describe, expect, test } from "vitest";
import { ApiRequestError } from "./api/errors.js";
import { type PasswordForm, passwordChangeErrors, validatePasswordForm } from "./password.js";

const filled: PasswordForm = {
  currentPassword: "old-password-1",
  newPassword: "new-password-22",
  confirmPassword: "new-password-22",
};

describe("validatePasswordForm", () => {
  test("accepts a filled, matching form", () => {
    expect(validatePasswordForm(filled)).toEqual({});
  });

  test.each([
    ["current password", { currentPassword: "" }, "currentPassword", "enter the password"],
    ["new password", { newPassword: "", confirmPassword: "" }, "newPassword", "enter a new"],
    ["confirmation", { confirmPassword: "new-password-23" }, "confirmPassword", "does not match"],
  ])("rejects a missing or wrong %s", (_name, change, field, message) => {
    const errors = validatePasswordForm({ ...filled, ...change });
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toContain(message);
  });

  test("leaves the length to the API", () => {
    expect(validatePasswordForm({ ...filled, newPassword: "a", confirmPassword: "a" })).toEqual({});
  });
});

describe("passwordChangeErrors", () => {
  test("puts a 403 at the current password", () => {
    const error = new ApiRequestError(403, "forbidden", "current password is wrong: enter it");
    expect(passwordChangeErrors(error)).toEqual({
      currentPassword: "current password is wrong: enter it",
    });
  });

  test("puts a 422 at the fields it lists", () => {
    const error = new ApiRequestError(422, "validation_failed", "invalid request", {
      issues: [{ path: "newPassword", message: "Too small: expected at least 12 characters" }],
    });
    expect(passwordChangeErrors(error)).toEqual({
      newPassword: "Too small: expected at least 12 characters",
    });
  });

  test("leaves other failures to the form message", () => {
    expect(passwordChangeErrors(new ApiRequestError(0, "network", "could not reach"))).toEqual({});
    expect(passwordChangeErrors(new Error("boom"))).toEqual({});
  });
});
