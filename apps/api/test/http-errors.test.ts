import { createUser, StoreError } from "@berth/store";
import { Hono } from "hono";
import pino from "pino";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import { bodyLimit, readJsonBody } from "../src/http/body.js";
import { ApiError, errorHandler } from "../src/http/errors.js";
import { securityHeaders } from "../src/http/security.js";
import { ENGINES, errorOf, json, testApp, useDatabase } from "./helpers.js";

const itemSchema = z.object({ name: z.string().min(1), port: z.number().int().min(1).max(65535) });

function itemsApp() {
  const app = testApp();
  app.use(securityHeaders());
  app.use(bodyLimit(1024));
  app.post("/items", async (c) => c.json(await readJsonBody(c, itemSchema), 201));
  app.get("/missing", () => {
    throw new StoreError("project shop not found", { kind: "not_found", table: "projects" });
  });
  app.get("/teapot", () => {
    throw new ApiError("rate_limited", "slow down", { headers: { "Retry-After": "7" } });
  });
  app.get("/database-down", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    throw new Error('Failed query: select "token_hash" from "api_tokens"', { cause: refused });
  });
  app.get("/boom", () => {
    throw new Error("connection string postgres://secret@db leaked");
  });
  return app;
}

function post(
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  return itemsApp().request("/items", { method: "POST", body, headers });
}

describe("error shape", () => {
  test("valid body passes through", async () => {
    const response = await post(JSON.stringify({ name: "web", port: 8080 }));

    expect(response.status).toBe(201);
    expect(await json(response)).toEqual({ name: "web", port: 8080 });
  });

  test("zod failure gives 422 with field details", async () => {
    const response = await post(JSON.stringify({ name: "", port: "80" }));
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.code).toBe("validation_failed");
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["name", "port"]);
    expect(error.message).toContain("port");
  });

  test("invalid JSON gives 400", async () => {
    const response = await post("{not json");
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.code).toBe("invalid_json");
    expect(error.message).toContain("not valid JSON");
  });

  test("wrong content type gives 415", async () => {
    const response = await post("name=web", {
      "content-type": "application/x-www-form-urlencoded",
    });
    const error = await errorOf(response);

    expect(response.status).toBe(415);
    expect(error.message).toContain("application/x-www-form-urlencoded");
  });

  test("body over the limit gives 413 by Content-Length", async () => {
    const response = await post(JSON.stringify({ name: "x".repeat(2000), port: 1 }));
    const error = await errorOf(response);

    expect(response.status).toBe(413);
    expect(error.code).toBe("payload_too_large");
    expect(error.details).toEqual({ limitBytes: 1024 });
  });

  test("chunked body over the limit is cut off with 413", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 100) {
          controller.close();
          return;
        }
        controller.enqueue(new TextEncoder().encode("x".repeat(512)));
      },
    });
    const response = await itemsApp().request("/items", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);

    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(100);
  });

  test("store not_found gives 404", async () => {
    const response = await itemsApp().request("/missing");
    const error = await errorOf(response);

    expect(response.status).toBe(404);
    expect(error).toEqual({
      code: "not_found",
      message: "project shop not found",
      details: null,
    });
  });

  test("unknown route gives 404 in the same shape", async () => {
    const response = await itemsApp().request("/nowhere");
    const error = await errorOf(response);

    expect(response.status).toBe(404);
    expect(error.code).toBe("not_found");
    expect(error.message).toContain("GET /nowhere");
  });

  test("api error sets its headers", async () => {
    const response = await itemsApp().request("/teapot");

    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  test("unexpected error gives 500 without its message", async () => {
    const response = await itemsApp().request("/boom");
    const error = await errorOf(response);

    expect(response.status).toBe(500);
    expect(error.code).toBe("internal");
    expect(error.message).not.toContain("secret");
  });

  test("unreachable database gives 503 without the query", async () => {
    const response = await itemsApp().request("/database-down");
    const error = await errorOf(response);

    expect(response.status).toBe(503);
    expect(error.code).toBe("unavailable");
    expect(error.message).toBe("database unavailable: try again shortly");
  });

  test("security headers on every response", async () => {
    const responses = [await itemsApp().request("/nowhere"), await post("{}")];

    for (const response of responses) {
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    }
  });
});

describe.each(ENGINES)("store errors on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("unique violation gives 409", async () => {
    const { db } = database();
    const app = testApp();
    app.post("/users/:name", async (c) => {
      const user = await createUser(db, {
        username: c.req.param("name"),
        passwordHash: "x",
        role: "viewer",
      });
      return c.json(user, 201);
    });

    const first = await app.request("/users/alice", { method: "POST" });
    const second = await app.request("/users/ALICE", { method: "POST" });
    const error = await errorOf(second);

    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    expect(error.code).toBe("conflict");
    expect(error.details).toEqual({ constraint: "users_username_key" });
  });
});

describe("error log", () => {
  test.each([
    { path: "/api/v1/hooks/generic/s3cret", logged: "/api/v1/hooks/generic/<secret>" },
    { path: "/api/v1/hooks/dockerhub/s3cret", logged: "/api/v1/hooks/dockerhub/<secret>" },
    { path: "/api/v1/projects/abc", logged: "/api/v1/projects/abc" },
  ])("server error on $path logs $logged", async ({ path, logged }) => {
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const app = new Hono();
    app.onError(errorHandler({ logger }));
    app.post("*", () => {
      throw new Error("database went away");
    });

    const response = await app.request(path, { method: "POST" });
    const entry = JSON.parse(lines[0] ?? "{}") as { path?: string; msg?: string };

    expect(response.status).toBe(500);
    expect(entry.msg).toBe("request failed");
    expect(entry.path).toBe(logged);
    expect(lines.join("")).not.toContain("s3cret");
  });
});
