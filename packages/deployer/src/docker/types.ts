/** The image's own HEALTHCHECK, durations in milliseconds. */
export interface ImageHealthcheck {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

/** Image fields Berth reads from `GET /images/{name}/json`. */
export interface ImageInfo {
  id: string;
  repoDigests: string[];
  /** Keys like `8080/tcp`. */
  exposedPorts: string[];
  labels: Record<string, string>;
  /** `null` when the image has none or disables it with `NONE`. */
  healthcheck: ImageHealthcheck | null;
}

/** A container to create, in Berth's terms; the client turns it into the Engine API body. */
export interface ContainerSpec {
  name: string;
  /** Image reference, by digest for deploys: `registry/repo@sha256:…`. */
  image: string;
  env: string[];
  labels: Record<string, string>;
  /** `host:container[:ro]` binds and `volume:container` named volumes. */
  binds: string[];
  restartPolicy: "no" | "always" | "unless-stopped" | "on-failure";
  /** Port the application listens on inside the container. */
  containerPort?: number | undefined;
  /** Publishes `containerPort` on this host address, on a port the engine picks. */
  publishOn?: string | undefined;
  /** Network to join at creation, with aliases the other containers resolve. */
  network?: { name: string; aliases: string[] } | undefined;
}

/** Health as the engine reports it; `null` when the container has no healthcheck. */
export interface ContainerHealth {
  status: "starting" | "healthy" | "unhealthy" | "none";
  failingStreak: number;
  /** Output of the last healthcheck run, trimmed. */
  lastOutput: string | undefined;
}

/** Container fields Berth reads from `GET /containers/{id}/json`. */
export interface ContainerState {
  id: string;
  name: string;
  /** `created`, `running`, `restarting`, `exited`, … */
  status: string;
  running: boolean;
  exitCode: number;
  restartCount: number;
  health: ContainerHealth | null;
  labels: Record<string, string>;
  /** Published ports: `8080/tcp` → the host address and port. */
  ports: Record<string, { hostIp: string; hostPort: number } | undefined>;
}

/** One row of `GET /containers/json`. */
export interface ContainerSummary {
  id: string;
  /** Without the leading `/` the engine puts there. */
  name: string;
  labels: Record<string, string>;
  state: string;
}

/** The engine operations the deployer uses, typed in Berth's terms. */
export interface DockerClient {
  /** The negotiated Engine API version, e.g. `1.41`. */
  readonly apiVersion: string;
  ping(): Promise<void>;
  /** Pulls `repository` at `reference` (a tag or `sha256:` digest) and returns the digest it reported. */
  pull(
    repository: string,
    reference: string,
    auth?: import("./registry-auth.js").RegistryAuth,
  ): Promise<{ digest: string | undefined }>;
  inspectImage(reference: string): Promise<ImageInfo | null>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /** `null` when no container has this id or name. */
  inspectContainer(idOrName: string): Promise<ContainerState | null>;
  listContainers(labels: Record<string, string | true>): Promise<ContainerSummary[]>;
  ensureNetwork(name: string): Promise<void>;
  connectNetwork(network: string, container: string, aliases: string[]): Promise<void>;
  /** Resolves once the container is gone, or throws after `timeoutMs`. */
  waitForRemoval(id: string, timeoutMs: number): Promise<void>;
}
