import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureDebianPackages, TEST_DEBIAN_PACKAGES } from "./debian.mjs";
import { startTokenServer, type TokenServer } from "./token-server.js";

/** A running Debian `docker-registry` (distribution 2.8) on 127.0.0.1. */
export interface TestRegistry {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`, the form image references use. */
  host: string;
  /** The token server when token auth is on: its realm URL and how many tokens it issued. */
  token?: { realm: string; requestCount(): number };
  /** Kills the registry (and its token server) and removes its storage folder. */
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  /**
   * Switches on the distribution `auth.token` flow: the registry answers 401 with a Bearer
   * challenge pointing at a token server on 127.0.0.1 that grants pull and push to these
   * credentials and nothing to anyone else.
   */
  tokenAuth?: { username: string; password: string };
}

const READY_TIMEOUT_MS = 10_000;
const TOKEN_SERVICE = "berth-test-registry";
const TOKEN_ISSUER = "berth-test-token-server";

/**
 * Starts Debian's `docker-registry` on a free loopback port with a temporary storage folder
 * (deletes enabled), and waits until `/v2/` answers.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<TestRegistry> {
  await ensureDebianPackages({ "docker-registry": requiredMarker("docker-registry") });

  const folder = await mkdtemp(join(tmpdir(), "berth-registry-"));
  let tokenServer: TokenServer | undefined;
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const auth = options.tokenAuth ? await setUpTokenAuth(folder, options.tokenAuth) : undefined;
    tokenServer = auth?.server;
    const configPath = join(folder, "config.yml");
    await writeFile(configPath, registryConfig(folder, port, auth?.section));

    child = spawn("docker-registry", ["serve", configPath], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const output = collectOutput(child);
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(url, child, output);

    const registry = child;
    const server = tokenServer;
    return {
      url,
      host: `127.0.0.1:${port}`,
      ...(server ? { token: { realm: server.realm, requestCount: server.requestCount } } : {}),
      async stop() {
        await stopProcess(registry);
        await server?.stop();
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) {
      await stopProcess(child);
    }
    await tokenServer?.stop();
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

function requiredMarker(name: string): string {
  const marker = TEST_DEBIAN_PACKAGES[name];
  if (!marker) {
    throw new Error(`no marker file known for the Debian package ${name}`);
  }
  return marker;
}

/** Returns a port that was free a moment ago; the registry binds it right after. */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") {
          resolve(address.port);
        } else {
          reject(new Error("could not read the port of a loopback listener"));
        }
      });
    });
  });
}

function registryConfig(folder: string, port: number, authSection = ""): string {
  return [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog: { disabled: true }",
    "storage:",
    `  filesystem: { rootdirectory: ${join(folder, "data")} }`,
    "  delete: { enabled: true }",
    "  maintenance: { uploadpurging: { enabled: false } }",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    authSection,
  ].join("\n");
}

async function setUpTokenAuth(
  folder: string,
  credentials: { username: string; password: string },
): Promise<{ server: TokenServer; section: string }> {
  const keyPath = join(folder, "token-key.pem");
  const certPath = join(folder, "token-cert.pem");
  // A self-signed P-256 certificate: the registry trusts it as the root bundle, and the token
  // server puts it in each token's x5c header so distribution can verify the signature.
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=berth-test-token-server",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "ignore" },
  );

  const server = await startTokenServer({
    privateKeyPem: await readFile(keyPath, "utf8"),
    certificatePem: await readFile(certPath, "utf8"),
    issuer: TOKEN_ISSUER,
    service: TOKEN_SERVICE,
    credentials,
  });
  const section = [
    "auth:",
    "  token:",
    `    realm: ${server.realm}`,
    `    service: ${TOKEN_SERVICE}`,
    `    issuer: ${TOKEN_ISSUER}`,
    `    rootcertbundle: ${certPath}`,
  ].join("\n");
  return { server, section };
}

function collectOutput(child: ChildProcess): () => string {
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  return () => output;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`docker-registry exited with code ${child.exitCode}: ${output()}`);
    }
    try {
      const response = await fetch(`${url}/v2/`);
      await response.arrayBuffer();
      if (response.status === 200 || response.status === 401) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error(
    `docker-registry at ${url} did not answer within ${READY_TIMEOUT_MS} ms: ${output()}`,
  );
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
