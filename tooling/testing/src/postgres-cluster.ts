/**
 * A throwaway Postgres cluster that a test owns and may stop and restart at will, so fault
 * tests never touch the machine's shared server on port 5432.
 */
import { execFile } from "node:child_process";
import { chown, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Folder under which Debian's postgresql packages install each major version's programs. */
const POSTGRES_ROOT = "/usr/lib/postgresql";

/** Postgres refuses to run as root, so root runs the cluster as this system user. */
const SERVICE_USER = "postgres";

/** A running cluster on 127.0.0.1 with trust authentication. */
export interface TestPostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  url: string;
  port: number;
  /**
   * Stops the server (`pg_ctl stop -m fast`, which ends every session), runs `whileDown`,
   * then starts the server again on the same port and data, also when `whileDown` throws.
   */
  restart(options?: { whileDown?: () => Promise<unknown> }): Promise<void>;
  /** Stops the server and deletes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPostgresClusterOptions {
  /** Major version under /usr/lib/postgresql; default the highest installed. */
  version?: string;
}

/**
 * Creates a cluster with `initdb` in a fresh temporary folder and starts it with `pg_ctl` on
 * a free port of 127.0.0.1. When this process is root, the folder belongs to the `postgres`
 * user and every command runs as that user through `runuser`.
 */
export async function startPostgresCluster(
  options: StartPostgresClusterOptions = {},
): Promise<TestPostgresCluster> {
  const bin = await postgresBin(options.version);
  const folder = await mkdtemp(path.join(tmpdir(), "berth-postgres-"));
  const dataDir = path.join(folder, "data");
  const asUser = await serviceUser();
  let started = false;

  try {
    await mkdir(dataDir);
    if (asUser) {
      await chown(folder, asUser.uid, asUser.gid);
      await chown(dataDir, asUser.uid, asUser.gid);
    }
    const pgCtl = (args: string[]) => runAs(asUser, path.join(bin, "pg_ctl"), args);
    await runAs(asUser, path.join(bin, "initdb"), [
      "--pgdata",
      dataDir,
      "--username",
      "postgres",
      "--auth",
      "trust",
      "--encoding",
      "UTF8",
      "--no-sync",
    ]);

    const port = await freePort();
    const serverOptions = [
      "-c listen_addresses=127.0.0.1",
      `-c port=${port}`,
      // The socket stays in this folder, away from the machine's own server's socket.
      `-c unix_socket_directories=${folder}`,
      "-c shared_buffers=16MB",
      "-c fsync=off",
    ].join(" ");
    const logFile = path.join(folder, "server.log");
    const start = () =>
      pgCtl(["start", "--pgdata", dataDir, "--wait", "--log", logFile, "-o", serverOptions]);
    const stopServer = (mode: "fast" | "immediate") =>
      pgCtl(["stop", "--pgdata", dataDir, "--wait", "--mode", mode]);

    await start();
    started = true;

    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      async restart(restartOptions = {}) {
        await stopServer("fast");
        try {
          await restartOptions.whileDown?.();
        } finally {
          await start();
        }
      },
      async stop() {
        if (started) {
          started = false;
          await stopServer("immediate").catch(() => undefined);
        }
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (started) {
      await runAs(asUser, path.join(bin, "pg_ctl"), [
        "stop",
        "--pgdata",
        dataDir,
        "--mode",
        "immediate",
      ]).catch(() => undefined);
    }
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

/** Returns the bin folder of `version`, or of the highest installed major version. */
async function postgresBin(version: string | undefined): Promise<string> {
  const installed = await readdir(POSTGRES_ROOT).catch(() => [] as string[]);
  const versions = installed.filter((name) => /^\d+$/.test(name)).sort((a, b) => +b - +a);
  const chosen = version ?? versions[0];
  if (!chosen || !versions.includes(chosen)) {
    throw new Error(
      `Postgres ${version ?? "(any version)"} is not installed under ${POSTGRES_ROOT} (found: ${versions.join(", ") || "none"}): run \`apt-get install postgresql\` as root`,
    );
  }
  return path.join(POSTGRES_ROOT, chosen, "bin");
}

interface ServiceUser {
  uid: number;
  gid: number;
}

/** Returns the `postgres` user's ids when this process is root; other users run it as themselves. */
async function serviceUser(): Promise<ServiceUser | undefined> {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  try {
    const uid = Number((await run("id", ["-u", SERVICE_USER])).stdout.trim());
    const gid = Number((await run("id", ["-g", SERVICE_USER])).stdout.trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(
      `Postgres refuses to run as root and the system user "${SERVICE_USER}" is missing: install the postgresql package, which creates it`,
      { cause: error },
    );
  }
}

async function runAs(user: ServiceUser | undefined, program: string, args: string[]) {
  const [command, commandArgs] = user
    ? ["runuser", ["-u", SERVICE_USER, "--", program, ...args]]
    : [program, args];
  try {
    return await run(command, commandArgs, { cwd: tmpdir() });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? "";
    throw new Error(`${path.basename(program)} ${args[0]} failed: ${stderr}`, { cause: error });
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("the kernel gave no port on 127.0.0.1")),
      );
    });
  });
}
