/**
 * Reads the container engine's real state over its Docker-compatible socket, independently
 * of Berth's own client, so the test compares Berth's view with what actually runs.
 */
import { request } from "node:http";

export interface EngineContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
  Labels: Record<string, string>;
  Ports: Array<{ PrivatePort: number; PublicPort?: number; IP?: string }>;
}

/** Lists every container (running or not) that carries `label`, e.g. `berth.managed=true`. */
export function listContainers(socketPath: string, label: string): Promise<EngineContainer[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  return getJson<EngineContainer[]>(socketPath, `/containers/json?all=true&filters=${filters}`);
}

/** Returns the repo digests of an image, e.g. `127.0.0.1:5000/acme/shop@sha256:…`. */
export async function imageDigests(socketPath: string, imageId: string): Promise<string[]> {
  const image = await getJson<{ RepoDigests?: string[] }>(socketPath, `/images/${imageId}/json`);
  return image.RepoDigests ?? [];
}

function getJson<T>(socketPath: string, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET" }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        if ((response.statusCode ?? 500) >= 400) {
          reject(new Error(`engine GET ${path} answered ${response.statusCode}: ${text}`));
          return;
        }
        resolve(JSON.parse(text) as T);
      });
    });
    req.on("error", reject);
    req.end();
  });
}
