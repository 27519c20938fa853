import { parseArgs } from "node:util";
import type { Logger } from "pino";
import { type Config, loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { type RunningServer, startServer } from "../server.js";
import { runExport, runImport, runMigrate } from "./commands.js";

const USAGE = `Usage: berth <command>

Commands:
  serve            start the server (the default)
  migrate          apply pending database migrations and exit
  import FILE      load registries, projects, stages and settings from a YAML file
  export [-o FILE] write the configuration as YAML, secrets left out (default: stdout)

Configuration comes from environment variables; see docs/configuration.md.`;

/** Output streams of the command line: the bin passes the process's streams, and tests capture them. */
export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface CliOptions {
  env: Readonly<Record<string, string | undefined>>;
  output: CliOutput;
  /** Resolves when the server should stop; the bin passes the first SIGTERM or SIGINT. */
  stopSignal: Promise<string>;
}

/** Runs one `berth` command and returns the exit code. Every failure prints one line. */
export async function runCli(args: string[], options: CliOptions): Promise<number> {
  const [command = "serve", ...rest] = args;
  try {
    if (command === "help" || command === "--help" || command === "-h") {
      options.output.stdout(`${USAGE}\n`);
      return 0;
    }
    const config = loadConfig(options.env);
    return await runCommand(command, rest, config, options);
  } catch (error) {
    options.output.stderr(`berth ${command}: ${errorMessage(error)}\n`);
    return 1;
  }
}

async function runCommand(
  command: string,
  args: string[],
  config: Config,
  options: CliOptions,
): Promise<number> {
  switch (command) {
    case "serve":
      return serve(config, createLogger(config), options);
    case "migrate":
      await runMigrate(config, commandLogger(config));
      return 0;
    case "import":
      return runImport(args, config, commandLogger(config), options);
    case "export": {
      const { values } = parseArgs({ args, options: { output: { type: "string", short: "o" } } });
      return runExport(values.output, config, commandLogger(config), options.output);
    }
    default:
      options.output.stderr(`berth: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

async function serve(config: Config, logger: Logger, options: CliOptions): Promise<number> {
  const starting = startServer(config, logger, options.env);
  const first = await Promise.race([
    starting.then((server) => ({ server, signal: undefined })),
    options.stopSignal.then((signal) => ({ server: undefined, signal })),
  ]);
  if (first.signal !== undefined) {
    logger.info({ signal: first.signal }, "stopping during start-up");
    await stopWhileStarting(starting, first.signal, config.shutdownTimeoutSeconds);
    return 0;
  }

  const signal = await options.stopSignal;
  logger.info({ signal }, "stopping");
  await first.server.close();
  return 0;
}

/**
 * Lets a start that a signal interrupted finish within the shutdown timeout, then closes what
 * it opened. A start that takes longer rejects, and the bin then exits without waiting for it.
 */
async function stopWhileStarting(
  starting: Promise<RunningServer>,
  signal: string,
  timeoutSeconds: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, timeoutSeconds * 1000, undefined);
  });
  const server = await Promise.race([starting, timedOut]).finally(() => clearTimeout(timer));
  if (server === undefined) {
    // The bin exits next, so a late failure of the abandoned start is dropped rather than
    // reported as an unhandled rejection.
    starting.catch(() => undefined);
    throw new Error(
      `start-up timed out ${timeoutSeconds} s after ${signal} (BERTH_SHUTDOWN_TIMEOUT_SECONDS), so Berth exits without closing the database: check that DATABASE_URL or BERTH_DATA_DIR is reachable`,
    );
  }
  await server.close();
}

/** Commands other than `serve` log warnings and errors to stderr, so stdout stays the output. */
function commandLogger(config: Config): Logger {
  const level = config.logLevel === "info" ? "warn" : config.logLevel;
  return createLogger({ logLevel: level }, process.stderr);
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
