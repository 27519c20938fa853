/**
 * How `pnpm demo` stops. Ctrl-C in a terminal sends SIGINT to the whole foreground process
 * group, including the `sh -c` shells pnpm runs scripts in. Those shells die of it at once,
 * so pnpm reports the run as failed (ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL … SIGINT) while the
 * demo is still cleaning up. With the terminal in raw mode, Ctrl-C reaches the demo as the
 * byte 0x03 instead of a signal, so only the demo acts on it and pnpm reports its exit status.
 * A SIGINT that still reaches the group (input not a terminal, `kill -INT -- -PGID`) makes pnpm
 * exit with 130 at once, while the demo cleans up and exits 0 on its own.
 */

/** The byte a terminal in raw mode sends for Ctrl-C (ETX). */
const CTRL_C = 0x03;

/** The parts of `process.stdin` the stopper uses, so a test can pass a plain stream. */
export interface StopInput {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
  on(event: "data", listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface DemoStopper {
  /**
   * Runs `stop` on Ctrl-C, SIGINT or SIGTERM. A request that came before this call runs it at
   * once, so a Ctrl-C during start-up still cleans up.
   */
  onStop(stop: () => Promise<void>): void;
  /** Whether Ctrl-C or a signal requested a stop. */
  readonly requested: boolean;
  /** Restores the terminal's usual mode. */
  release(): void;
}

/**
 * Listens for the demo's stop request: Ctrl-C on `input` when it is a terminal, and SIGINT and
 * SIGTERM on `signals` (for `kill`, or a run without a terminal). `exit` receives 0 after a
 * clean stop and 1 when the stop failed.
 */
export function createDemoStopper(options: {
  input: StopInput;
  signals: Pick<NodeJS.Process, "on">;
  exit: (code: number) => void;
  say: (text: string) => void;
}): DemoStopper {
  let requested = false;
  let stop: (() => Promise<void>) | undefined;
  let stopping = false;
  const raw = options.input.isTTY === true && typeof options.input.setRawMode === "function";

  const runStop = () => {
    if (!stop || stopping) {
      return;
    }
    stopping = true;
    options.say("\nStopping…");
    stop().then(
      () => finish(0),
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        options.say(
          `Stopping failed: ${reason}. Check for leftover podman containers and processes`,
        );
        finish(1);
      },
    );
  };

  const request = () => {
    if (!requested && !stop) {
      options.say("\nStopping once start-up finishes, so that everything it started is removed…");
    }
    requested = true;
    runStop();
  };

  const release = () => {
    if (raw) {
      options.input.setRawMode?.(false);
      options.input.pause();
    }
  };

  const finish = (code: number) => {
    release();
    options.exit(code);
  };

  if (raw) {
    options.input.setRawMode?.(true);
    options.input.on("data", (chunk) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      if (bytes.includes(CTRL_C)) {
        request();
      }
    });
    options.input.resume();
  }
  options.signals.on("SIGINT", request);
  options.signals.on("SIGTERM", request);

  return {
    onStop(next) {
      stop = next;
      if (requested) {
        runStop();
      }
    },
    get requested() {
      return requested;
    },
    release,
  };
}
