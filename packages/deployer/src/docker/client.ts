/**
 * The Docker Engine client: dockerode underneath, a small typed surface on top, and the
 * API version negotiated from `/_ping` so one client works with podman (1.41) and current
 * Docker (1.44 and later).
 */
import Docker from "dockerode";
import { DockerError, messageOf } from "../errors.js";
import {
  type DockerEndpoint,
  type DockerTls,
  negotiateApiVersion,
  parseDockerHost,
  pingApiVersion,
} from "./connection.js";
import { readPullStream } from "./pull-stream.js";
import { encodeRegistryAuth, type RegistryAuth } from "./registry-auth.js";
import type {
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  DockerClient,
  ImageHealthcheck,
  ImageInfo,
} from "./types.js";

export interface DockerClientOptions {
  /** A `DOCKER_HOST` value; defaults to `unix:///var/run/docker.sock`. */
  host?: string | undefined;
  /** TLS material for `tcp://` hosts. */
  tls?: DockerTls | undefined;
  /** Timeout of the `/_ping` version check when connecting, in milliseconds. Default 30 s. */
  timeoutMs?: number | undefined;
}

const NANOSECONDS_PER_MS = 1_000_000;

/** Connects to the engine, negotiates the API version and returns the typed client. */
export async function createDockerClient(options: DockerClientOptions = {}): Promise<DockerClient> {
  const host = options.host ?? "unix:///var/run/docker.sock";
  const endpoint = parseDockerHost(host, options.tls);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const daemonVersion = await pingApiVersion(endpoint, timeoutMs).catch((error: unknown) => {
    throw new DockerError("ping", `${messageOf(error)}: check that the engine runs at ${host}`, {
      cause: error,
    });
  });
  const apiVersion = negotiateApiVersion(daemonVersion);
  const docker = new Docker({ ...dockerodeEndpoint(endpoint), version: `v${apiVersion}` });
  return new DockerodeClient(docker, apiVersion);
}

function dockerodeEndpoint(endpoint: DockerEndpoint): Docker.DockerOptions {
  if (endpoint.kind === "unix") {
    return { socketPath: endpoint.socketPath };
  }
  return {
    host: endpoint.host,
    port: endpoint.port,
    protocol: endpoint.tls ? "https" : "http",
    ...endpoint.tls,
  };
}

class DockerodeClient implements DockerClient {
  constructor(
    private readonly docker: Docker,
    readonly apiVersion: string,
  ) {}

  async ping(): Promise<void> {
    await call("ping", () => this.docker.ping());
  }

  async pull(
    repository: string,
    reference: string,
    auth?: RegistryAuth,
  ): Promise<{ digest: string | undefined }> {
    // The tag is always sent, because a pull without one fetches every tag of the
    // repository. Docker and podman both accept a `sha256:` digest in `tag`.
    const query = { fromImage: repository, tag: reference };
    const authconfig = auth ? { base64: encodeRegistryAuth(auth) } : undefined;
    const stream = await call("pull", () => this.docker.createImage(authconfig, query));

    const outcome = await readPullStream(stream as AsyncIterable<Buffer>);
    if (outcome.error !== undefined) {
      throw new DockerError("pull", `${repository}:${reference}: ${outcome.error}`);
    }
    return { digest: outcome.digest ?? (await this.repoDigest(repository, reference)) };
  }

  /** Podman's pull stream has no "Digest:" line, so the digest is read from the image. */
  private async repoDigest(repository: string, reference: string): Promise<string | undefined> {
    const separator = reference.startsWith("sha256:") ? "@" : ":";
    const image = await this.inspectImage(`${repository}${separator}${reference}`);
    const prefix = `${repository}@`;
    const match = image?.repoDigests.find((entry) => entry.startsWith(prefix));
    return match?.slice(prefix.length);
  }

  async inspectImage(reference: string): Promise<ImageInfo | null> {
    const info = await orNull(
      call("inspect image", () => this.docker.getImage(reference).inspect()),
    );
    if (!info) {
      return null;
    }
    return {
      id: info.Id,
      repoDigests: info.RepoDigests ?? [],
      exposedPorts: Object.keys(info.Config?.ExposedPorts ?? {}),
      labels: info.Config?.Labels ?? {},
      healthcheck: toImageHealthcheck(info.Config?.Healthcheck),
    };
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const container = await call("create", () => this.docker.createContainer(createBody(spec)));
    return container.id;
  }

  async startContainer(id: string): Promise<void> {
    await ignoreStatus(
      304,
      call("start", () => this.docker.getContainer(id).start()),
    );
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await ignoreStatus(
      304,
      call("stop", () => this.docker.getContainer(id).stop({ t: timeoutSeconds })),
    );
  }

  async removeContainer(id: string): Promise<void> {
    await ignoreStatus(
      404,
      call("remove", () => this.docker.getContainer(id).remove({ force: true, v: true })),
    );
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await call("rename", () => this.docker.getContainer(id).rename({ name }));
  }

  async inspectContainer(idOrName: string): Promise<ContainerState | null> {
    const info = await orNull(
      call("inspect container", () => this.docker.getContainer(idOrName).inspect()),
    );
    return info ? toContainerState(info) : null;
  }

  async listContainers(labels: Record<string, string | true>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([key, value]) =>
      value === true ? key : `${key}=${value}`,
    );
    const rows = await call("list containers", () =>
      this.docker.listContainers({ all: true, filters: { label } }),
    );
    return rows.map((row) => ({
      id: row.Id,
      name: (row.Names[0] ?? "").replace(/^\//, ""),
      labels: row.Labels ?? {},
      state: row.State,
    }));
  }

  async ensureNetwork(name: string): Promise<void> {
    const existing = await orNull(
      call("inspect network", () => this.docker.getNetwork(name).inspect()),
    );
    if (existing) {
      return;
    }
    await ignoreStatus(
      409,
      call("create network", () => this.docker.createNetwork({ Name: name })),
    );
  }

  async connectNetwork(network: string, container: string, aliases: string[]): Promise<void> {
    await call("connect network", () =>
      this.docker
        .getNetwork(network)
        .connect({ Container: container, EndpointConfig: { Aliases: aliases } }),
    );
  }

  async waitForRemoval(id: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!(await this.inspectContainer(id))) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new DockerError("wait for removal", `container ${id} still exists after ${timeoutMs} ms`);
  }
}

function createBody(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const port = spec.containerPort ? `${spec.containerPort}/tcp` : undefined;
  return {
    name: spec.name,
    Image: spec.image,
    Env: spec.env,
    Labels: spec.labels,
    ...(port ? { ExposedPorts: { [port]: {} } } : {}),
    HostConfig: {
      Binds: spec.binds,
      RestartPolicy: { Name: spec.restartPolicy },
      // An empty HostPort lets the engine pick a free port; it is read back by inspect.
      ...(port && spec.publishOn
        ? { PortBindings: { [port]: [{ HostIp: spec.publishOn, HostPort: "" }] } }
        : {}),
      ...(spec.network ? { NetworkMode: spec.network.name } : {}),
    },
    ...(spec.network
      ? {
          NetworkingConfig: {
            EndpointsConfig: { [spec.network.name]: { Aliases: spec.network.aliases } },
          },
        }
      : {}),
  };
}

/**
 * Reads the image's HEALTHCHECK. NOTE: podman 4.3 leaves `Config.Healthcheck` out of its
 * Docker-compatible image inspect, so on podman this is `null` and the gate uses the stage's
 * HTTP check. The container's own health status still fails the gate when it turns unhealthy.
 */
function toImageHealthcheck(config: Docker.HealthConfig | undefined): ImageHealthcheck | null {
  const test = config?.Test ?? [];
  if (test.length === 0 || test[0] === "NONE") {
    return null;
  }
  // Zero means "inherit", which is the engine's default: 30 s interval and timeout, 3 retries.
  return {
    test,
    intervalMs: (config?.Interval || 30_000 * NANOSECONDS_PER_MS) / NANOSECONDS_PER_MS,
    timeoutMs: (config?.Timeout || 30_000 * NANOSECONDS_PER_MS) / NANOSECONDS_PER_MS,
    startPeriodMs: (config?.StartPeriod ?? 0) / NANOSECONDS_PER_MS,
    retries: config?.Retries || 3,
  };
}

interface RawHealth {
  Status?: string;
  FailingStreak?: number;
  Log?: Array<{ Output?: string }>;
}

function toContainerState(info: Docker.ContainerInspectInfo): ContainerState {
  const rawHealth = (info.State as { Health?: RawHealth }).Health;
  const ports: ContainerState["ports"] = {};
  for (const [key, bindings] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const first = bindings?.[0];
    ports[key] = first ? { hostIp: first.HostIp, hostPort: Number(first.HostPort) } : undefined;
  }
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    status: info.State.Status,
    running: info.State.Running,
    exitCode: info.State.ExitCode,
    restartCount: info.RestartCount ?? 0,
    health: toHealth(rawHealth),
    labels: info.Config?.Labels ?? {},
    ports,
  };
}

function toHealth(raw: RawHealth | undefined): ContainerState["health"] {
  // Podman reports an empty status for containers without a healthcheck.
  const status = raw?.Status;
  if (status !== "starting" && status !== "healthy" && status !== "unhealthy") {
    return null;
  }
  const lastOutput = raw?.Log?.at(-1)?.Output?.trim();
  return { status, failingStreak: raw?.FailingStreak ?? 0, lastOutput };
}

interface DockerodeError {
  statusCode?: unknown;
  json?: { message?: unknown } | null;
  reason?: unknown;
}

/** Runs one engine call and turns dockerode's error into a `DockerError` with the engine's message. */
async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const raw = error as DockerodeError;
    const statusCode = typeof raw.statusCode === "number" ? raw.statusCode : undefined;
    const engineMessage = typeof raw.json?.message === "string" ? raw.json.message : undefined;
    throw new DockerError(operation, engineMessage ?? messageOf(error), {
      statusCode,
      cause: error,
    });
  }
}

async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof DockerError && error.statusCode === 404) {
      return null;
    }
    throw error;
  }
}

async function ignoreStatus(statusCode: number, promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof DockerError && error.statusCode === statusCode)) {
      throw error;
    }
  }
}
