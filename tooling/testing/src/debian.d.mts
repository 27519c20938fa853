export const TEST_DEBIAN_PACKAGES: Record<string, string>;
export function ensureDebianPackages(
  packages: Record<string, string>,
  options?: { log?: (line: string) => void },
): Promise<void>;
