import { ConfigFileError } from "./parse.js";
import type { ConfigFile } from "./schema.js";

/**
 * A check of one include or exclude pattern: what is wrong with it, or `undefined`. The
 * caller passes the registry package's check, because the store depends on no other
 * Berth package.
 */
export type TagPatternCheck = (
  pattern: string,
  option: "include" | "exclude",
) => string | undefined;

/**
 * Rejects tag patterns that `check` finds invalid, so a bad pattern fails at import instead
 * of at the first poll.
 *
 * @throws ConfigFileError listing every bad pattern by its path in the file.
 */
export function checkTagPatterns(config: ConfigFile, file: string, check: TagPatternCheck): void {
  const problems: string[] = [];
  for (const [projectIndex, project] of config.projects.entries()) {
    for (const [stageIndex, stage] of project.stages.entries()) {
      const path = `projects[${projectIndex}].stages[${stageIndex}].tags`;
      for (const option of ["include", "exclude"] as const) {
        for (const [index, pattern] of stage.tags[option].entries()) {
          const problem = check(pattern, option);
          if (problem !== undefined) {
            problems.push(`${path}.${option}[${index}]: ${problem}`);
          }
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigFileError(file, problems);
  }
}
