import path from "node:path";

/**
 * Tells whether a volume's host path is inside one of the allowed host folders. The deployer
 * checks it before a container starts, and saving a stage checks it so a bad path fails early.
 */
export function isVolumeSourceAllowed(source: string, allowList: readonly string[]): boolean {
  const resolved = path.posix.resolve(source);
  return allowList.some((folder) => {
    const root = path.posix.resolve(folder);
    return resolved === root || resolved.startsWith(`${root}/`);
  });
}

/** Builds the message for a host path outside the allow-list: the path, the list and the fix. */
export function volumeOutsideAllowList(source: string, allowList: readonly string[]): string {
  return `volume host path ${source} is outside the allowed folders (${allowList.join(", ") || "none"}): add its folder to the volume allow-list in settings`;
}
