/**
 * Names Berth gives to what a deploy makes: container names and proxy domains. Pure
 * functions, so the same deploy always gets the same names.
 */

/** Labels Berth puts on every container it creates. */
export const LABELS = {
  managed: "berth.managed",
  project: "berth.project",
  stage: "berth.stage",
  instance: "berth.instance",
  deploy: "berth.deploy",
} as const;

/**
 * Turns any text into one DNS label: lower case, `[a-z0-9-]`, no leading or trailing
 * hyphen, at most 63 characters.
 */
export function dnsLabel(text: string): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
  return label === "" ? "x" : label;
}

/**
 * Returns the container name of a deploy: `{project}-{stage}-{tag}-{deploy id prefix}`.
 * The deploy id keeps redeploys of one tag apart, and the name matches the engine's rule
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
 */
export function containerName(parts: {
  project: string;
  stage: string;
  tag: string;
  deployId: string;
}): string {
  const tag = parts.tag.replace(/[^a-zA-Z0-9_.-]+/g, "-").slice(0, 64);
  return `${parts.project}-${parts.stage}-${tag}-${parts.deployId.slice(0, 8)}`;
}

/** Fills `{stage}`, `{project}` and `{tag}` in a subdomain pattern and makes it DNS-safe. */
export function subdomain(
  pattern: string,
  values: { stage: string; project: string; tag?: string | undefined },
): string {
  const filled = pattern
    .replaceAll("{stage}", values.stage)
    .replaceAll("{project}", values.project)
    .replaceAll("{tag}", values.tag ?? "");
  return dnsLabel(filled);
}

/**
 * Returns the stage's default domain: its custom domain, else the settings' pattern under
 * the base domain. Returns `null` when neither is configured, so the deploy has no proxy host.
 */
export function stageDomain(input: {
  customDomain: string | null;
  baseDomain: string | null;
  pattern: string;
  stage: string;
  project: string;
}): string | null {
  if (input.customDomain) {
    return input.customDomain.toLowerCase();
  }
  if (!input.baseDomain) {
    return null;
  }
  const label = subdomain(input.pattern, { stage: input.stage, project: input.project });
  return `${label}.${input.baseDomain.toLowerCase()}`;
}
