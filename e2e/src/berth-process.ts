/**
 * `berth serve` as a real child process: the built `apps/api/dist/bin.js`, configured only
 * through its environment, as a self-hoster runs it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built command; `pnpm build` (or turbo's `^build` before tests) makes it. */
export const BERTH_BIN = fileURLToPath(new URL("../../apps/api/dist/bin.js", import.meta.url));

export interface BerthProcess {
  url: string;
  /** The child's process id, for reading its memory from `/proc/<pid>/status`. */
  pid: number | undefined;
  /** Every line the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and waits for the exit; SIGKILL follows after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface StartBerthOptions {
  port: number;
  /** Environment on top of PATH and HOME; the rest of this process's environment is left out. */
  env: Record<string, string>;
  cwd: string;
  /** How long to wait for `/api/v1/health` to answer 200. Default 60 s. */
  readyTimeoutMs?: number;
}

/** Starts `berth serve` and resolves once its health route answers. */
export async function startBerth(options: StartBerthOptions): Promise<BerthProcess> {
  if (!existsSync(BERTH_BIN)) {
    throw new Error(`${BERTH_BIN} is missing: run \`pnpm build\` (turbo builds it before tests)`);
  }
  const child = spawn(process.execPath, [BERTH_BIN, "serve"], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? options.cwd,
      BERTH_HOST: "127.0.0.1",
      BERTH_PORT: String(options.port),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });

  const url = `http://127.0.0.1:${options.port}`;
  const berth: BerthProcess = {
    url,
    pid: child.pid,
    output: () => output,
    stop: (signal = "SIGTERM", graceMs = 20_000) => stopChild(child, signal, graceMs),
  };
  try {
    await waitForHealth(child, url, options.readyTimeoutMs ?? 60_000, () => output);
  } catch (error) {
    await berth.stop("SIGKILL");
    throw error;
  }
  return berth;
}

async function waitForHealth(
  child: ChildProcess,
  url: string,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`berth serve exited with code ${child.exitCode} at start:\n${output()}`);
    }
    const ok = await fetch(`${url}/api/v1/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `berth serve did not answer ${url}/api/v1/health within ${timeoutMs} ms:\n${output()}`,
  );
}

function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve(child.exitCode);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}
