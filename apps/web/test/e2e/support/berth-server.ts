import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase, testServerUrl } from "@berth/testing";

/** The admin the tests sign in as; the server creates it from `BERTH_ADMIN_PASSWORD`. */
export const ADMIN = { username: "admin", password: "correct-horse-battery-staple" };

const API_BIN = fileURLToPath(new URL("../../../../api/dist/bin.js", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface BerthServer {
  url: string;
  /** What the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new Error("could not find a free port");
  }
  return address.port;
}

/**
 * Starts the built `berth serve` on a free loopback port with a fresh data folder, on a
 * fresh Postgres database when `TEST_DATABASE_URL` is set and on the embedded engine
 * otherwise, and waits until `/api/v1/health` returns 200.
 */
export async function startBerthServer(extraEnv: NodeJS.ProcessEnv = {}): Promise<BerthServer> {
  if (!existsSync(API_BIN)) {
    throw new Error(`${API_BIN} is missing: run \`pnpm --filter @berth/api build\` first`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), "berth-web-e2e-"));
  const serverUrl = testServerUrl();
  const database: TestDatabase | undefined = serverUrl
    ? await createTestDatabase(serverUrl)
    : undefined;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BERTH_HOST: "127.0.0.1",
    BERTH_PORT: String(port),
    BERTH_DATA_DIR: dataDir,
    BERTH_ADMIN_PASSWORD: ADMIN.password,
    BERTH_LOG_LEVEL: "warn",
    BERTH_SHUTDOWN_TIMEOUT_SECONDS: "5",
    ...extraEnv,
    ...(database
      ? { DATABASE_URL: database.url, BERTH_SECRET_KEY: randomBytes(32).toString("base64") }
      : {}),
  };

  const child = spawn(process.execPath, [API_BIN, "serve"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  child.stdout?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;

  const cleanUp = async () => {
    await stopChild(child);
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(url, child, () => printed);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return { url, output: () => printed, stop: cleanUp };
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`berth serve exited with code ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/api/v1/health`);
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(
    `berth serve did not answer ${url}/api/v1/health within ${READY_TIMEOUT_MS} ms:\n${output()}`,
  );
}

/** Sends SIGTERM, then SIGKILL if the process has not exited in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
