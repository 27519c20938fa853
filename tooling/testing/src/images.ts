import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { RegistryPushClient } from "./push-client.js";
import { buildTar } from "./tar.js";

export interface PushImageOptions {
  /** `host:port` of the registry, e.g. `127.0.0.1:5000`. */
  registry: string;
  /** Repository name, e.g. `acme/app`. */
  repository: string;
  tag: string;
  /**
   * `oci` (default) or `docker` pushes one image manifest; `index` pushes an OCI index over
   * two platform manifests (this machine's architecture first, then one other).
   */
  format?: "oci" | "docker" | "index";
  /** Default: busybox httpd in the foreground on port 8080 serving `/www`. */
  cmd?: string[];
  /** Default `["8080/tcp"]`. */
  exposedPorts?: string[];
  env?: string[];
  labels?: Record<string, string>;
  healthcheck?: {
    test: string[];
    intervalSeconds?: number;
    timeoutSeconds?: number;
    startPeriodSeconds?: number;
    retries?: number;
  };
  /** Written to `/www/index.html`; a distinct value gives a distinct digest. */
  content?: string;
  /**
   * Signal that stops the container. Default `SIGKILL`, because busybox httpd runs as PID 1
   * without signal handlers and so ignores SIGTERM, which makes every stop wait 10 s.
   */
  stopSignal?: string;
  /** Image creation time written into the config. Default 2026-01-01T00:00:00Z. */
  created?: string;
  username?: string;
  password?: string;
}

/** Registry credentials for the helpers below. */
export interface TestRegistryCredentials {
  username: string;
  password: string;
}

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

const DEFAULT_CMD = ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"];
const DEFAULT_CREATED = "2026-01-01T00:00:00Z";

interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

interface Layer extends Blob {
  /** Digest of the uncompressed tar, as listed in the config's `rootfs.diff_ids`. */
  diffId: string;
}

let baseLayer: Layer | undefined;

/**
 * Pushes a small runnable image: busybox-static at `/bin/busybox`, `/www/health` containing
 * `ok` and `/www/index.html`. The busybox layer is built once per process and reused, so a
 * push costs a few small requests. Returns the digest the tag now points to (the index
 * digest for `format: "index"`).
 */
export async function pushTestImage(options: PushImageOptions): Promise<{ digest: string }> {
  const client = new RegistryPushClient(options.registry, credentialsOf(options));
  const format = options.format ?? "oci";
  const layers = [
    getBaseLayer(),
    contentLayer(options.content ?? `${options.repository}:${options.tag}`),
  ];
  for (const layer of layers) {
    await client.pushBlob(options.repository, layer);
  }

  if (format !== "index") {
    const manifest = await pushPlatformImage(client, options, layers, format, hostArchitecture());
    const digest = await client.pushManifest(options.repository, options.tag, manifest);
    return { digest };
  }

  const architectures = [hostArchitecture(), hostArchitecture() === "amd64" ? "arm64" : "amd64"];
  const platforms = [];
  for (const architecture of architectures) {
    const manifest = await pushPlatformImage(client, options, layers, "oci", architecture);
    const digest = await client.pushManifest(options.repository, manifest.digest, manifest);
    platforms.push({
      mediaType: manifest.mediaType,
      digest,
      size: manifest.bytes.length,
      platform: { architecture, os: "linux" },
    });
  }
  const index = serialise(MEDIA_TYPES.ociIndex, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: platforms,
  });
  return { digest: await client.pushManifest(options.repository, options.tag, index) };
}

/**
 * Deletes the manifest `tag` points to, which removes `tag` and every other tag on the same
 * manifest.
 */
export async function deleteTestTag(
  registry: string,
  repository: string,
  tag: string,
  credentials?: TestRegistryCredentials,
): Promise<void> {
  const client = new RegistryPushClient(registry, credentials);
  await client.deleteTag(repository, tag);
}

function credentialsOf(options: PushImageOptions): TestRegistryCredentials | undefined {
  if (options.username === undefined || options.password === undefined) {
    return undefined;
  }
  return { username: options.username, password: options.password };
}

/** A serialised manifest: the exact bytes, their digest and media type. */
export interface SerialisedManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

async function pushPlatformImage(
  client: RegistryPushClient,
  options: PushImageOptions,
  layers: Layer[],
  format: "oci" | "docker",
  architecture: string,
): Promise<SerialisedManifest> {
  const types =
    format === "oci"
      ? {
          manifest: MEDIA_TYPES.ociManifest,
          config: MEDIA_TYPES.ociConfig,
          layer: MEDIA_TYPES.ociLayer,
        }
      : {
          manifest: MEDIA_TYPES.dockerManifest,
          config: MEDIA_TYPES.dockerConfig,
          layer: MEDIA_TYPES.dockerLayer,
        };

  const config = toBlob(Buffer.from(JSON.stringify(imageConfig(options, layers, architecture))));
  await client.pushBlob(options.repository, config);
  return serialise(types.manifest, {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({
      mediaType: types.layer,
      digest: layer.digest,
      size: layer.size,
    })),
  });
}

function imageConfig(options: PushImageOptions, layers: Layer[], architecture: string) {
  const exposedPorts = Object.fromEntries(
    (options.exposedPorts ?? ["8080/tcp"]).map((port) => [port, {}]),
  );
  return {
    created: options.created ?? DEFAULT_CREATED,
    architecture,
    os: "linux",
    config: {
      Cmd: options.cmd ?? DEFAULT_CMD,
      ExposedPorts: exposedPorts,
      Env: options.env ?? ["PATH=/bin"],
      Labels: options.labels ?? {},
      WorkingDir: "/",
      StopSignal: options.stopSignal ?? "SIGKILL",
      ...(options.healthcheck ? { Healthcheck: healthcheckConfig(options.healthcheck) } : {}),
    },
    rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map(() => ({ created: options.created ?? DEFAULT_CREATED })),
  };
}

/** Docker's image config keeps healthcheck durations in nanoseconds. */
function healthcheckConfig(healthcheck: NonNullable<PushImageOptions["healthcheck"]>) {
  const nanoseconds = (seconds: number | undefined) => Math.round((seconds ?? 0) * 1e9);
  return {
    Test: healthcheck.test,
    Interval: nanoseconds(healthcheck.intervalSeconds),
    Timeout: nanoseconds(healthcheck.timeoutSeconds),
    StartPeriod: nanoseconds(healthcheck.startPeriodSeconds),
    Retries: healthcheck.retries ?? 0,
  };
}

function serialise(mediaType: string, body: unknown): SerialisedManifest {
  const bytes = Buffer.from(JSON.stringify(body));
  return { mediaType, digest: sha256(bytes), bytes };
}

function getBaseLayer(): Layer {
  baseLayer ??= toLayer(
    buildTar([
      { type: "directory", path: "bin" },
      { type: "file", path: "bin/busybox", content: readFileSync("/bin/busybox"), mode: 0o755 },
      { type: "directory", path: "www" },
      { type: "file", path: "www/health", content: Buffer.from("ok") },
      { type: "directory", path: "tmp", mode: 0o1777 },
    ]),
  );
  return baseLayer;
}

function contentLayer(content: string): Layer {
  return toLayer(
    buildTar([
      { type: "directory", path: "www" },
      { type: "file", path: "www/index.html", content: Buffer.from(content) },
    ]),
  );
}

function toLayer(tar: Buffer): Layer {
  // mtime 0 in the gzip header keeps the compressed bytes, and so the digest, stable.
  return { ...toBlob(gzipSync(tar, { level: 1 })), diffId: sha256(tar) };
}

function toBlob(bytes: Buffer): Blob {
  return { digest: sha256(bytes), size: bytes.length, bytes };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function hostArchitecture(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}
