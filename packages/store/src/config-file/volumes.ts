import type { Database } from "../database.js";
import { getSettings } from "../queries/settings.js";
import { isVolumeSourceAllowed, volumeOutsideAllowList } from "../volume-allow-list.js";
import { ConfigFileError } from "./parse.js";
import type { ConfigFile } from "./schema.js";

/**
 * Rejects host-path volumes outside the allow-list, so a bad path fails at import instead of at
 * the first deploy. The file's own `settings.volume_allow_list` counts, else the stored one.
 * Named volumes are not host paths, so they are skipped.
 *
 * @throws ConfigFileError listing every volume outside the allow-list.
 */
export async function checkVolumeSources(
  db: Database,
  config: ConfigFile,
  file: string,
): Promise<void> {
  const allowList = config.settings?.volume_allow_list ?? (await getSettings(db)).volumeAllowList;
  const problems: string[] = [];
  for (const [projectIndex, project] of config.projects.entries()) {
    for (const [stageIndex, stage] of project.stages.entries()) {
      for (const [volumeIndex, volume] of stage.volumes.entries()) {
        if (volume.kind !== "named" && !isVolumeSourceAllowed(volume.source, allowList)) {
          problems.push(
            `projects[${projectIndex}].stages[${stageIndex}].volumes[${volumeIndex}].source: ${volumeOutsideAllowList(volume.source, allowList)}`,
          );
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigFileError(file, problems);
  }
}
