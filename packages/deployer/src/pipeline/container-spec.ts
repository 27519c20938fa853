/** Turning a stage's definition into the container a deploy creates. */
import path from "node:path";
import { isVolumeSourceAllowed, volumeOutsideAllowList } from "@berth/store";
import type { ContainerSpec } from "../docker/types.js";
import { DeployError } from "../errors.js";
import type { DeployContext, EnvRow, VolumeRow } from "./context.js";
import { LABELS } from "./naming.js";

/** Builds `KEY=value` pairs, decrypting secret values. */
export function containerEnv(rows: EnvRow[], decryptSecret: (value: string) => string): string[] {
  return rows
    .slice()
    .sort((left, right) => left.key.localeCompare(right.key))
    .map((row) => {
      const value =
        row.valueEncrypted === null ? (row.value ?? "") : decryptSecret(row.valueEncrypted);
      return `${row.key}=${value}`;
    });
}

/**
 * Builds the engine's binds. `shared` mounts one host path for every instance, `isolated`
 * a `{stage}-{tag}` sub-folder per instance, `named` a Docker volume. Host paths must lie
 * inside the settings' allow-list. The API checks this when the stage is saved, and the
 * deploy checks again because the allow-list may have shrunk since. A missing host folder
 * is created by the engine (Docker and podman's compatible API both do for binds).
 */
export function containerBinds(
  volumes: VolumeRow[],
  allowList: readonly string[],
  instance: { stage: string; tag: string },
): string[] {
  return volumes.map((volume) => {
    const mode = volume.readOnly ? ":ro" : "";
    if (volume.kind === "named") {
      return `${volume.source}:${volume.target}${mode}`;
    }
    checkAllowed(volume.source, allowList);
    const source =
      volume.kind === "isolated"
        ? path.posix.join(
            volume.source,
            `${instance.stage}-${instance.tag.replace(/[^\w.-]+/g, "-")}`,
          )
        : volume.source;
    return `${source}:${volume.target}${mode}`;
  });
}

/** Throws when `source` is not inside one of the allowed host folders. */
export function checkAllowed(source: string, allowList: readonly string[]): void {
  if (!isVolumeSourceAllowed(source, allowList)) {
    throw new DeployError("create", volumeOutsideAllowList(source, allowList));
  }
}

/** Builds the full container definition for a deploy of `context`. */
export function buildContainerSpec(input: {
  context: DeployContext;
  name: string;
  image: string;
  instanceId: string;
  containerPort: number | undefined;
  decryptSecret: (value: string) => string;
}): ContainerSpec {
  const { context } = input;
  const { stage, project, settings, deploy } = input.context;
  const byNetwork = settings.reachMode === "network";
  return {
    name: input.name,
    image: input.image,
    env: containerEnv(context.env, input.decryptSecret),
    labels: {
      [LABELS.managed]: "true",
      [LABELS.project]: project.slug,
      [LABELS.stage]: stage.name,
      [LABELS.instance]: input.instanceId,
      [LABELS.deploy]: deploy.id,
    },
    binds: containerBinds(context.volumes, settings.volumeAllowList, {
      stage: stage.name,
      tag: deploy.tag,
    }),
    restartPolicy: stage.restartPolicy as ContainerSpec["restartPolicy"],
    containerPort: input.containerPort,
    publishOn: byNetwork ? undefined : settings.hostAddress,
    network: byNetwork ? { name: settings.dockerNetwork, aliases: [input.name] } : undefined,
  };
}
