#!/usr/bin/env node
// The `berth` command. It lives outside dist/ so that pnpm can link it at install time,
// before anything is built, and it says how to build when dist/ is missing.
try {
  await import("../dist/bin.js");
} catch (error) {
  const missing =
    error instanceof Error && "code" in error && error.code === "ERR_MODULE_NOT_FOUND";
  if (!missing || !String(error.message).includes("dist/bin.js")) {
    throw error;
  }
  process.stderr.write("berth: the server is not built yet: run `pnpm build` in the repository\n");
  process.exitCode = 1;
}
