#!/usr/bin/env node
import { runCli } from "./cli/main.js";
import { readEnvironment } from "./config.js";

/** Resolves with the name of the first SIGTERM or SIGINT, which stops `berth serve`. */
const stopSignal = new Promise<string>((resolve) => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => resolve(signal));
  }
});

const exitCode = await runCli(process.argv.slice(2), {
  env: readEnvironment(),
  output: {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  stopSignal,
});

// Exiting here, rather than when the event loop empties, ends a process whose start-up a
// signal abandoned while a file system or database call still hangs. Nothing printed is
// lost: pino flushes its buffer on exit, and process.stdout and process.stderr write to
// pipes, files and terminals synchronously on Linux.
process.exit(exitCode);
