import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const API_DIR = fileURLToPath(new URL("..", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a spawned CLI: PATH and HOME only, plus what the test sets. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** Spawns `berth ARGS` from the sources, as `pnpm berth` does. */
export function spawnBerth(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(
    process.execPath,
    ["--conditions=@berth/source", "--import", "tsx", "src/bin.ts", ...args],
    { cwd: API_DIR, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] },
  );
}

/** Runs a command that ends by itself; kills it after `timeoutMs` so a hang fails the test. */
export async function runBerth(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<CliResult> {
  const child = spawnBerth(args, env);
  const output = collect(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, ...output() };
}

/** A `berth serve` child whose health route returned 200. */
export interface ServingBerth {
  url: string;
  health: unknown;
  /** Sends the signal (default SIGTERM) and resolves with the exit code and everything printed. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/** Starts `berth serve` and waits up to `timeoutMs` for `GET /api/v1/health` to return 200. */
export async function serveBerth(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServingBerth> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnBerth(["serve"], { ...env, BERTH_PORT: String(port) });
  const output = collect(child);
  const exited = once(child, "exit") as Promise<[number | null]>;

  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<CliResult> => {
    if (child.exitCode === null) child.kill(signal);
    const [code] = await exited;
    return { code, ...output() };
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const response = await fetch(`${url}/api/v1/health`).catch(() => undefined);
    if (response?.status === 200) {
      return { url, health: await response.json(), stop };
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const result = await stop();
  throw new Error(
    `berth serve did not become healthy (exit ${result.code}): ${result.stderr}${result.stdout}`,
  );
}

function collect(child: ChildProcess): () => { stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return () => ({ stdout, stderr });
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") {
    throw new Error("could not read the port of a probe socket");
  }
  return address.port;
}
