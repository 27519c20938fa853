/**
 * Sentences for unique constraints a request can hit, so a 409 names the taken value and the
 * fix instead of quoting the database's constraint text.
 */

interface TakenValue {
  /** Noun for the value, e.g. "project slug". */
  subject: string;
  /** The field to change, for the advice. */
  field: string;
}

const TAKEN_BY_CONSTRAINT: Record<string, TakenValue> = {
  registries_name_key: { subject: "registry name", field: "name" },
  projects_slug_key: { subject: "project slug", field: "slug" },
  stages_project_name_key: { subject: "stage name", field: "name" },
  users_username_key: { subject: "username", field: "username" },
  stage_env_stage_key_key: { subject: "variable", field: "key" },
  stage_volumes_stage_target_key: { subject: "volume target", field: "target" },
};

/** Postgres's detail for a unique violation, e.g. `Key (slug)=(shop) already exists.` */
const DETAIL = /^Key \((.+)\)=\((.*)\) already exists\.?$/s;

/**
 * Returns the sentence for a violated unique constraint, e.g. "project slug shop is already
 * taken: choose another slug", or undefined for a constraint not in the table.
 */
export function takenMessage(constraint: string, error: unknown): string | undefined {
  const taken = TAKEN_BY_CONSTRAINT[constraint];
  if (!taken) {
    return undefined;
  }

  const value = takenValue(error);
  const scope = taken.subject === "stage name" ? " in this project" : "";
  const named = value === undefined ? taken.subject : `${taken.subject} ${value}`;
  return `${named} is already taken${scope}: choose another ${taken.field}`;
}

/** Reads the last key value from the driver's detail, searching the error's cause chain. */
function takenValue(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth += 1) {
    const detail = (current as { detail?: unknown }).detail;
    const match = typeof detail === "string" ? DETAIL.exec(detail) : null;
    if (match?.[1] && match[2] !== undefined) {
      // Composite keys list one value per column, and the last column is the one a person chose.
      const columns = match[1].split(", ").length;
      return columns > 1
        ? match[2]
            .split(", ")
            .slice(columns - 1)
            .join(", ")
        : match[2];
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
