// Plain JavaScript so .ci/run can call it before anything is built.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian package → a file it installs, used to tell whether it is already there. */
export const TEST_DEBIAN_PACKAGES = {
  "docker-registry": "/usr/bin/docker-registry",
  skopeo: "/usr/bin/skopeo",
  umoci: "/usr/bin/umoci",
  "busybox-static": "/bin/busybox",
  podman: "/usr/bin/podman",
  runc: "/usr/sbin/runc",
  chromium: "/usr/bin/chromium",
};

/**
 * Installs with apt-get those of `packages` (name → marker file) whose marker is missing.
 * Throws an error naming the packages and the command to run when it cannot install them
 * (not root, or no apt-get).
 *
 * @param {Record<string, string>} packages
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function ensureDebianPackages(packages, options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const missing = Object.entries(packages)
    .filter(([, marker]) => !existsSync(marker))
    .map(([name]) => name);
  if (missing.length === 0) {
    return;
  }

  const command = `apt-get install -y ${missing.join(" ")}`;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasApt) {
    throw new Error(
      `tests need the Debian packages ${missing.join(", ")}: run \`${command}\` as root`,
    );
  }

  log(`installing Debian packages for the tests: ${missing.join(", ")}`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}
