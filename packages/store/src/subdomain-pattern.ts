/**
 * Checks for subdomain patterns, shared by the API and the YAML import. The deployer fills
 * the placeholders (its `subdomain` in pipeline/naming.ts) and turns anything else in the
 * pattern into DNS-safe text, so an unknown placeholder would end up in the domain as text.
 */

/** The pattern's use: a stage's domain, or the domain of one tag's instance. */
export type SubdomainPatternKind = "stage" | "tag";

/** Placeholders each kind of pattern fills. A stage's domain has no tag to fill in. */
export const SUBDOMAIN_PLACEHOLDERS: Readonly<Record<SubdomainPatternKind, readonly string[]>> = {
  stage: ["{stage}", "{project}"],
  tag: ["{stage}", "{project}", "{tag}"],
};

const PLACEHOLDER = /\{[^{}]*\}/g;

/**
 * Checks that a subdomain pattern uses only the placeholders its kind fills and no stray
 * brace. Returns what is wrong and the accepted placeholders, or `undefined` when it is valid.
 */
export function subdomainPatternProblem(
  pattern: string,
  kind: SubdomainPatternKind,
): string | undefined {
  const accepted = SUBDOMAIN_PLACEHOLDERS[kind];
  const acceptedText = accepted.join(", ");
  const unsupported = [...new Set(pattern.match(PLACEHOLDER) ?? [])].filter(
    (placeholder) => !accepted.includes(placeholder),
  );
  if (unsupported.length > 0) {
    const noun = unsupported.length === 1 ? "placeholder" : "placeholders";
    return `unsupported ${noun} ${unsupported.join(", ")} in ${JSON.stringify(pattern)}: a ${kind} subdomain pattern accepts ${acceptedText}`;
  }
  if (/[{}]/.test(pattern.replace(PLACEHOLDER, ""))) {
    return `unmatched brace in ${JSON.stringify(pattern)}: write placeholders as ${acceptedText}`;
  }
  return undefined;
}
