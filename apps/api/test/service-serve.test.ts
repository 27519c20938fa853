import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imageOf } from "../src/service/push.js";
import { serveBerth } from "./cli-helpers.js";

const ADMIN_PASSWORD = "serve-test-password-1";

describe("berth serve without a Docker engine or a proxy manager", { timeout: 180_000 }, () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "berth-serve-"));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test("serve runs without an engine", async () => {
    const server = await serveBerth({
      BERTH_DATA_DIR: path.join(folder, "data"),
      BERTH_DOCKER_HOST: `unix://${path.join(folder, "no-docker.sock")}`,
      BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      BERTH_METRICS_TOKEN: "scrape-me",
    });

    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const deploysPage = await fetch(`${server.url}/api/v1/deploys`, { headers: { cookie } });
    const failed = await deployWithoutEngine(server.url, cookie);
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer scrape-me" },
    });
    const metricsText = await metrics.text();
    const root = await fetch(`${server.url}/`);
    const result = await server.stop();

    expect(login.status).toBe(200);
    expect(deploysPage.status).toBe(200);
    expect(failed).toMatchObject({ status: "failed", step: "pull" });
    expect(failed.error).toContain("no Docker engine is reachable");
    expect(metrics.status).toBe(200);
    expect(metricsText).toContain("berth_poll_cycles_total 0");
    expect(root.status).toBe(200);
    expect(result.code).toBe(0);
    const warnings = result.stdout.split("\n").filter((line) => line.includes('"level":40'));
    const engineWarnings = warnings.filter((line) => line.includes("Docker engine unreachable"));
    expect(engineWarnings).toHaveLength(1);
    expect(engineWarnings[0]).toContain("no-docker.sock (ENOENT)");
    expect(engineWarnings[0]).not.toContain('"stack"');
    expect(
      warnings.filter((line) => line.includes("Nginx Proxy Manager is not configured")),
    ).toHaveLength(1);
    expect(result.stdout).toContain("Berth stopped");
  });
});

/** Creates a registry, project and stage through the API, deploys a pinned tag and waits for its end. */
async function deployWithoutEngine(url: string, cookie: string) {
  const post = async (route: string, body: unknown) => {
    const response = await fetch(`${url}/api/v1${route}`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`POST ${route}: ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as Record<string, { id: string }>;
  };
  const { registry } = await post("/registries", {
    name: "local",
    type: "oci",
    url: "http://127.0.0.1:1",
  });
  const { project } = await post("/projects", {
    slug: "app",
    name: "App",
    registryId: registry?.id,
    repository: "acme/app",
  });
  const { stage } = await post("/stages", {
    projectId: project?.id,
    name: "dev",
    policy: { kind: "semver" },
  });
  const { deploy } = await post("/deploys", {
    stageId: stage?.id,
    tag: "1.0.0",
    digest: `sha256:${"c".repeat(64)}`,
  });

  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/api/v1/deploys/${deploy?.id}`, { headers: { cookie } });
    const current = ((await response.json()) as { deploy: Record<string, string> }).deploy;
    if (current?.status !== "queued" && current?.status !== "running") {
      return current ?? {};
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the deploy did not end within 30 s");
}

test.each([
  ["oci", "http://127.0.0.1:5000", "acme/app", "127.0.0.1:5000/acme/app"],
  ["gitea", "https://Gitea.Example.test", "Acme/Shop", "gitea.example.test/acme/shop"],
  ["dockerhub", "https://registry-1.docker.io", "nginx", "docker.io/library/nginx"],
  ["oci", "https://index.docker.io", "acme/app", "docker.io/acme/app"],
])("a %s project at %s/%s tracks pushes of %s", (type, url, repository, image) => {
  expect(imageOf(type, url, repository)).toBe(image);
});
