import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";

/** TLS material for an engine reached over TCP, as PEM text. */
export interface DockerTls {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** Engine address: a unix socket, or a TCP address with or without TLS. */
export type DockerEndpoint =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number; tls: DockerTls | undefined };

/** Highest Engine API version this client speaks; lower is negotiated from `/_ping`. */
export const CLIENT_API_VERSION = "1.47";

/** The version the Go client assumes when `/_ping` has no `Api-Version` header. */
const FALLBACK_API_VERSION = "1.24";

/**
 * Parses a `DOCKER_HOST` value: `unix:///path` or `tcp://host:port`. TCP with `tls` given
 * uses HTTPS.
 */
export function parseDockerHost(dockerHost: string, tls?: DockerTls): DockerEndpoint {
  if (dockerHost.startsWith("unix://")) {
    const socketPath = dockerHost.slice("unix://".length);
    if (socketPath.startsWith("/")) {
      return { kind: "unix", socketPath };
    }
  }

  const tcp = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(dockerHost);
  if (tcp?.[1] && tcp[2]) {
    return { kind: "tcp", host: tcp[1].replace(/^\[|\]$/g, ""), port: Number(tcp[2]), tls };
  }

  throw new Error(
    `invalid Docker host "${dockerHost}": use unix:///path/to/docker.sock or tcp://host:port`,
  );
}

/** Compares two `major.minor` API versions. */
export function compareApiVersions(left: string, right: string): number {
  const [leftMajor = 0, leftMinor = 0] = left.split(".").map(Number);
  const [rightMajor = 0, rightMinor = 0] = right.split(".").map(Number);
  return leftMajor - rightMajor || leftMinor - rightMinor;
}

/** Picks `min(client, daemon)`, as the Docker CLI does. */
export function negotiateApiVersion(daemonVersion: string | undefined): string {
  const daemon = daemonVersion && /^\d+\.\d+$/.test(daemonVersion) ? daemonVersion : undefined;
  if (!daemon) {
    return FALLBACK_API_VERSION;
  }
  return compareApiVersions(daemon, CLIENT_API_VERSION) < 0 ? daemon : CLIENT_API_VERSION;
}

/** Sends `GET /_ping` and returns its `Api-Version` header. */
export function pingApiVersion(
  endpoint: DockerEndpoint,
  timeoutMs: number,
): Promise<string | undefined> {
  const options: RequestOptions = { method: "GET", path: "/_ping", timeout: timeoutMs };
  const request =
    endpoint.kind === "unix"
      ? httpRequest({ ...options, socketPath: endpoint.socketPath })
      : endpoint.tls
        ? httpsRequest({ ...options, host: endpoint.host, port: endpoint.port, ...endpoint.tls })
        : httpRequest({ ...options, host: endpoint.host, port: endpoint.port });

  return new Promise((resolve, reject) => {
    request.on("response", (response) => {
      response.resume();
      if (response.statusCode !== 200) {
        reject(new Error(`GET /_ping returned HTTP ${response.statusCode}`));
        return;
      }
      const header = response.headers["api-version"];
      resolve(Array.isArray(header) ? header[0] : header);
    });
    request.on("timeout", () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end();
  });
}
