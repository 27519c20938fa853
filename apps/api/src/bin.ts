#!/usr/bin/env node
import { runCli } from "./cli/main.js";
import { readEnvironment } from "./config.js";

/** Resolves with the name of the first SIGTERM or SIGINT, which stops `berth serve`. */
const stopSignal = new Promise<string>((resolve) => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => resolve(signal));
  }
});

process.exitCode = await runCli(process.argv.slice(2), {
  env: readEnvironment(),
  output: {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  stopSignal,
});
