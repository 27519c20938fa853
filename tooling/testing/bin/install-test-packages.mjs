#!/usr/bin/env node
// Installs the Debian packages that Berth's tests run for real, when they are missing.
// Run by .ci/run before the tests; tests that need a package call the same check and
// explain what to install when they cannot do it themselves.
import { ensureDebianPackages, TEST_DEBIAN_PACKAGES } from "../src/debian.mjs";

await ensureDebianPackages(TEST_DEBIAN_PACKAGES, {
  log: (line) => process.stdout.write(`${line}\n`),
});
