import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dashboardRoutes } from "./routes.js";

let root: string;
let dir: string;
let app: Hono;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "berth-web-"));
  dir = path.join(root, "build");
  // A file beside the build folder that no request may reach.
  await writeFile(path.join(root, "secret.txt"), "secret");
  await mkdir(path.join(dir, "_app", "immutable"), { recursive: true });
  await writeFile(path.join(dir, "index.html"), "<!doctype html><title>Berth</title>");
  await writeFile(path.join(dir, "_app", "immutable", "start.abc.js"), "export {};");
  await writeFile(path.join(dir, "favicon.svg"), "<svg></svg>");

  app = new Hono();
  app.get("/api/v1/health", (c) => c.json({ status: "ok" }));
  app.route("/", dashboardRoutes(dir));
  app.notFound((c) => c.json({ error: { code: "not_found", message: "no route" } }, 404));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("dashboardRoutes", () => {
  test("serves a built file", async () => {
    const response = await app.request("/favicon.svg");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("<svg></svg>");
  });

  test("caches hashed assets for a year", async () => {
    const response = await app.request("/_app/immutable/start.abc.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("immutable");
  });

  test("answers client routes with the page", async () => {
    const response = await app.request("/deploys/4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toContain("<title>Berth</title>");
  });

  test("leaves unknown API paths to the API", async () => {
    const response = await app.request("/api/v1/nothing-here");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "no route" } });
  });

  test("keeps API routes mounted before it", async () => {
    const response = await app.request("/api/v1/health");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("serves nothing outside the build folder", async () => {
    for (const attempt of ["/../secret.txt", "/..%2fsecret.txt", "/%2e%2e/secret.txt"]) {
      const response = await app.request(attempt);
      expect(await response.text()).not.toBe("secret");
    }
  });

  test("rejects a folder without a build", () => {
    expect(() => dashboardRoutes(path.join(dir, "_app"))).toThrow(
      /index\.html is missing; run `pnpm --filter @berth\/web build`/,
    );
  });
});
