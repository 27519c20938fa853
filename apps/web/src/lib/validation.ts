/**
 * Checks of form values before they are sent, with the API's own rules, so a problem shows
 * at its field at once. The API checks again, and its 422 details land on the same fields.
 */
import { createTagFilter, parseTagPolicy, TagPolicyError } from "@berth/registry/select";

export type FieldErrors = Record<string, string>;

const SLUG = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const STAGE_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const REPOSITORY = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True for an absolute http:// or https:// URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export interface RegistryForm {
  name: string;
  type: string;
  url: string;
}

export function validateRegistry(form: RegistryForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!form.name.trim()) {
    errors.name = "enter a name, e.g. gitea-main";
  }
  if (!isHttpUrl(form.url)) {
    errors.url = `"${form.url}" is not an http:// or https:// URL: enter e.g. https://gitea.example.test`;
  }
  return errors;
}

export interface ProjectForm {
  slug: string;
  name: string;
  registryId: string;
  repository: string;
  notificationUrl: string;
}

export function validateProject(form: ProjectForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!SLUG.test(form.slug)) {
    errors.slug = `"${form.slug}" is not a valid slug: use 1-63 lowercase letters, digits and inner hyphens`;
  }
  if (!form.name.trim()) {
    errors.name = "enter a display name";
  }
  if (!form.registryId) {
    errors.registryId = "choose a registry, or add one under Registries first";
  }
  if (!REPOSITORY.test(form.repository)) {
    errors.repository = `"${form.repository}" is not a repository path: use lowercase such as acme/shop`;
  }
  if (form.notificationUrl && !isHttpUrl(form.notificationUrl)) {
    errors.notificationUrl = `"${form.notificationUrl}" is not an http:// or https:// URL`;
  }
  return errors;
}

export interface StageForm {
  name: string;
  tagInclude: string[];
  tagExclude: string[];
  policy: unknown;
  containerPort: string;
  maxInstances: string;
  healthPath: string;
  notificationUrl: string;
  env: { key: string }[];
  volumes: { target: string; source: string }[];
}

/** Checks a whole-number field; returns the message or `undefined`. */
function checkInteger(value: string, min: number, max: number, label: string): string | undefined {
  const number = Number(value);
  if (value.trim() === "" || !Number.isInteger(number) || number < min || number > max) {
    return `${label} "${value}" is not a whole number from ${min} to ${max}`;
  }
  return undefined;
}

export function validateStage(form: StageForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!STAGE_NAME.test(form.name)) {
    errors.name = `"${form.name}" is not a valid stage name: use 1-32 lowercase letters, digits and inner hyphens`;
  }

  checkPatterns(form, errors);
  try {
    parseTagPolicy(form.policy);
  } catch (error) {
    if (!(error instanceof TagPolicyError)) {
      throw error;
    }
    errors[error.option] = error.message;
  }

  if (form.containerPort.trim() !== "") {
    const message = checkInteger(form.containerPort, 1, 65535, "port");
    if (message) {
      errors.containerPort = message;
    }
  }
  const instances = checkInteger(form.maxInstances, 1, 20, "instance limit");
  if (instances) {
    errors.maxInstances = instances;
  }

  if (form.healthPath && !form.healthPath.startsWith("/")) {
    errors["healthCheck.path"] = `health check path "${form.healthPath}" must start with /`;
  }
  if (form.notificationUrl && !isHttpUrl(form.notificationUrl)) {
    errors.notificationUrl = `"${form.notificationUrl}" is not an http:// or https:// URL`;
  }

  form.env.forEach((entry, index) => {
    if (!ENV_KEY.test(entry.key)) {
      errors[`env.${index}.key`] =
        `"${entry.key}" is not a variable name: use letters, digits and _, not starting with a digit`;
    }
  });

  form.volumes.forEach((volume, index) => {
    if (!volume.target.startsWith("/")) {
      errors[`volumes.${index}.target`] =
        `"${volume.target}" is not an absolute path inside the container`;
    }
    if (!volume.source.trim()) {
      errors[`volumes.${index}.source`] = "enter the volume's source";
    }
  });
  return errors;
}

function checkPatterns(form: StageForm, errors: FieldErrors): void {
  try {
    createTagFilter({ include: form.tagInclude, exclude: form.tagExclude });
  } catch (error) {
    if (!(error instanceof TagPolicyError)) {
      throw error;
    }
    const field = error.option.startsWith("exclude") ? "tagExclude" : "tagInclude";
    errors[field] = error.message;
  }
}

/** Splits a pattern field into globs: one per line or comma, blanks dropped. */
export function splitPatterns(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== "");
}
