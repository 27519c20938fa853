/**
 * The Docker Engine client: dockerode underneath, a small typed surface on top, and the
 * API version negotiated from `/_ping` so one client works with podman (1.41) and current
 * Docker (1.44 and later).
 */
import Docker from "dockerode";
import { DockerError, messageOf } from "../errors.js";
import { type CallTarget, call, ignoreStatus, orNull } from "./calls.js";
import {
  type DockerEndpoint,
  type DockerTls,
  negotiateApiVersion,
  parseDockerHost,
  pingApiVersion,
} from "./connection.js";
import { readPullStream } from "./pull-stream.js";
import { encodeRegistryAuth, type RegistryAuth } from "./registry-auth.js";
import {
  parseContainerList,
  parseContainerState,
  parseCreatedId,
  parseImageInfo,
} from "./responses.js";
import type {
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  DockerClient,
  ImageInfo,
} from "./types.js";

export interface DockerClientOptions {
  /** A `DOCKER_HOST` value; defaults to `unix:///var/run/docker.sock`. */
  host?: string | undefined;
  /** TLS material for `tcp://` hosts. */
  tls?: DockerTls | undefined;
  /** Timeout of the `/_ping` version check when connecting, in milliseconds. Default 30 s. */
  timeoutMs?: number | undefined;
  /**
   * Deadline of each engine call after connecting, in milliseconds; a stop gets its grace
   * period on top. A pull's progress stream has none, since a large pull takes minutes.
   * Default 60 s.
   */
  requestTimeoutMs?: number | undefined;
}

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
  const target = { host, timeoutMs: options.requestTimeoutMs ?? 60_000 };
  return new DockerodeClient(docker, apiVersion, target);
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
    private readonly target: CallTarget,
  ) {}

  async ping(): Promise<void> {
    await call(this.target, "ping", () => this.docker.ping());
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
    const stream = await call(this.target, "pull", () =>
      this.docker.createImage(authconfig, query),
    );

    const outcome = await readPullStream(stream as AsyncIterable<Buffer>).catch(
      (error: unknown) => {
        throw new DockerError(
          "pull",
          `${repository}:${reference}: the progress stream broke off: ${messageOf(error)}: check the engine's log at ${this.target.host}, then retry`,
          { cause: error },
        );
      },
    );
    if (outcome.error !== undefined) {
      throw new DockerError(
        "pull",
        `${repository}:${reference}: ${outcome.error}: check the image name and the registry's credentials in Berth, then retry`,
      );
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
    return orNull(
      call(this.target, "inspect image", () => this.docker.getImage(reference).inspect(), {
        parse: parseImageInfo,
      }),
    );
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    // dockerode wraps the response's `Id` in a Container object, so the id is read from that.
    return call(
      this.target,
      "create",
      () => this.docker.createContainer(createBody(spec)).then((container) => container.id),
      { parse: (id: unknown) => parseCreatedId({ Id: id }) },
    );
  }

  async startContainer(id: string): Promise<void> {
    await ignoreStatus(
      304,
      call(this.target, "start", () => this.docker.getContainer(id).start()),
    );
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    // The engine responds only after the container stopped, up to `timeoutSeconds` later.
    await ignoreStatus(
      304,
      call(this.target, "stop", () => this.docker.getContainer(id).stop({ t: timeoutSeconds }), {
        extraMs: timeoutSeconds * 1000,
      }),
    );
  }

  async removeContainer(id: string): Promise<void> {
    await orNull(
      call(this.target, "remove", () =>
        this.docker.getContainer(id).remove({ force: true, v: true }),
      ),
    );
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await call(this.target, "rename", () => this.docker.getContainer(id).rename({ name }));
  }

  async inspectContainer(idOrName: string): Promise<ContainerState | null> {
    return orNull(
      call(this.target, "inspect container", () => this.docker.getContainer(idOrName).inspect(), {
        parse: parseContainerState,
      }),
    );
  }

  async listContainers(labels: Record<string, string | true>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([key, value]) =>
      value === true ? key : `${key}=${value}`,
    );
    return call(
      this.target,
      "list containers",
      () => this.docker.listContainers({ all: true, filters: { label } }),
      { parse: parseContainerList },
    );
  }

  async ensureNetwork(name: string): Promise<void> {
    const existing = await orNull(
      call(this.target, "inspect network", () => this.docker.getNetwork(name).inspect()),
    );
    if (existing) {
      return;
    }
    await ignoreStatus(
      409,
      call(this.target, "create network", () => this.docker.createNetwork({ Name: name })),
    );
  }

  async connectNetwork(network: string, container: string, aliases: string[]): Promise<void> {
    await call(this.target, "connect network", () =>
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
    throw new DockerError(
      "wait for removal",
      `container ${id} still exists after ${timeoutMs} ms: remove it with the engine's CLI, then retry`,
    );
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
