/**
 * A real container engine for tests: podman's Docker-compatible API service, with its own
 * configuration, storage and socket in a temporary folder so it never touches the machine's
 * own containers or images.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ensureDebianPackages } from "./debian.mjs";

const run = promisify(execFile);

/** A running podman API service. */
export interface TestPodman {
  /** Path of the unix socket the service listens on. */
  socketPath: string;
  /** The same socket as a `DOCKER_HOST` value, `unix://…`. */
  dockerHost: string;
  /** Environment that points the `podman` command at this service's configuration. */
  env: NodeJS.ProcessEnv;
  /**
   * Stops the API service only, as an engine outage: the socket stops responding while the
   * containers keep running under conmon and their published ports keep serving.
   */
  stopService(): Promise<void>;
  /** Starts the API service again on the same socket after `stopService()`. */
  startService(): Promise<void>;
  /** Removes every container, stops the service and deletes its folder. */
  stop(): Promise<void>;
}

export interface StartPodmanOptions {
  /**
   * Registries (`host:port`) podman may reach over plain HTTP, e.g. the test registry's
   * `127.0.0.1:5000`. Podman reads this list at start, so start the registry first.
   */
  insecureRegistries?: readonly string[];
}

/**
 * Starts `podman system service` on a socket in a fresh temporary folder.
 *
 * The settings below are required on these machines. Root lacks CAP_SYS_RESOURCE, so the
 * ulimits are set explicitly. Cgroups are hybrid, so podman uses runc with cgroupfs. There is
 * no journald, so events go to a file.
 */
export async function startPodman(options: StartPodmanOptions = {}): Promise<TestPodman> {
  await ensureDebianPackages({ podman: "/usr/bin/podman", runc: "/usr/sbin/runc" });
  const folder = await mkdtemp(path.join(tmpdir(), "berth-podman-"));
  const env = await writeConfiguration(folder, options.insecureRegistries ?? []);
  const socketPath = path.join(folder, "podman.sock");

  let service: ChildProcess;
  try {
    service = await startService(env, socketPath);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }

  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    env,
    stopService: () => stopService(service),
    async startService() {
      if (service.exitCode === null && service.signalCode === null) {
        throw new Error(`podman system service still runs on ${socketPath}: stopService() first`);
      }
      service = await startService(env, socketPath);
    },
    stop: () => stopPodman(service, env, folder),
  };
}

/** Spawns `podman system service` on `socketPath` and waits until it responds to `/_ping`. */
async function startService(env: NodeJS.ProcessEnv, socketPath: string): Promise<ChildProcess> {
  const service = spawn("podman", ["system", "service", "--time=0", `unix://${socketPath}`], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr = collect(service);
  try {
    await waitForPing(socketPath, service, stderr);
  } catch (error) {
    service.kill("SIGKILL");
    throw error;
  }
  return service;
}

async function writeConfiguration(
  folder: string,
  insecureRegistries: readonly string[],
): Promise<NodeJS.ProcessEnv> {
  const containersConf = path.join(folder, "containers.conf");
  const storageConf = path.join(folder, "storage.conf");
  const registriesConf = path.join(folder, "registries.conf");

  await writeFile(
    containersConf,
    [
      "[containers]",
      'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
      "[network]",
      `network_config_dir = "${folder}/networks"`,
      "[engine]",
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${folder}/events.log"`,
      `tmp_dir = "${folder}/tmp"`,
      "",
    ].join("\n"),
  );
  await writeFile(
    storageConf,
    [
      "[storage]",
      'driver = "overlay"',
      `runroot = "${folder}/runroot"`,
      `graphroot = "${folder}/graphroot"`,
      "",
    ].join("\n"),
  );
  await writeFile(
    registriesConf,
    [
      "unqualified-search-registries = []",
      ...insecureRegistries.flatMap((location) => [
        "[[registry]]",
        `location = "${location}"`,
        "insecure = true",
      ]),
      "",
    ].join("\n"),
  );

  return {
    ...process.env,
    CONTAINERS_CONF: containersConf,
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
  };
}

function collect(child: ChildProcess): () => string {
  let text = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-4000);
  });
  return () => text;
}

/** Polls `GET /_ping` until the service responds, for at most 15 s. */
async function waitForPing(
  socketPath: string,
  service: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (service.exitCode !== null) {
      throw new Error(`podman system service exited with ${service.exitCode}: ${stderr()}`);
    }
    if (await ping(socketPath)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`podman system service timed out after 15 s on ${socketPath}: ${stderr()}`);
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Sends SIGTERM, and SIGKILL when the service has not exited after 5 s. */
async function stopService(service: ChildProcess): Promise<void> {
  if (service.exitCode !== null || service.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => service.once("exit", resolve));
  service.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (service.exitCode === null && service.signalCode === null) {
    service.kill("SIGKILL");
    await exited;
  }
}

async function stopPodman(service: ChildProcess, env: NodeJS.ProcessEnv, folder: string) {
  // Remove containers first: their overlay mounts would keep the folder from being deleted.
  await run("podman", ["rm", "--all", "--force", "--time", "0"], { env }).catch(() => undefined);
  await run("podman", ["network", "prune", "--force"], { env }).catch(() => undefined);
  await stopService(service);
  await run("umount", ["--recursive", "--lazy", path.join(folder, "graphroot", "overlay")]).catch(
    () => undefined,
  );
  await rm(folder, { recursive: true, force: true });
}
