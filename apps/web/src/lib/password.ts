/**
 * The form for changing one's own password: checks before sending, and the API's errors
 * placed at their fields. The API decides the minimum length, so this module does not repeat it.
 */
import { ApiRequestError } from "./api/errors.js";
import type { FieldErrors } from "./validation.js";

export interface PasswordForm {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

export function emptyPasswordForm(): PasswordForm {
  return { currentPassword: "", newPassword: "", confirmPassword: "" };
}

/** Checks that every field is filled and that both new entries match, which the API cannot see. */
export function validatePasswordForm(form: PasswordForm): FieldErrors {
  const errors: FieldErrors = {};
  if (form.currentPassword === "") {
    errors.currentPassword = "enter the password you signed in with";
  }
  if (form.newPassword === "") {
    errors.newPassword = "enter a new password";
  }
  if (form.confirmPassword !== form.newPassword) {
    errors.confirmPassword = "does not match the new password: type the same password twice";
  }
  return errors;
}

/**
 * Places an error of `POST /auth/password` at its field. A 422 lists its fields. A 403 for a
 * signed-in user means a wrong current password, and its body names no field.
 * NOTE: the API's cross-origin check also returns 403, and that message lands on the current
 * password too. Its text names the origin, so the cause still shows.
 */
export function passwordChangeErrors(error: unknown): FieldErrors {
  if (!(error instanceof ApiRequestError)) {
    return {};
  }
  if (error.status === 403) {
    return { currentPassword: error.message };
  }
  return error.fieldErrors;
}
