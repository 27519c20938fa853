import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { useDatabase } from "./helpers.js";
import { configureSecret, SECRET, webhookApp } from "./webhooks-helpers.js";

describe("docker hub callback_url", () => {
  const database = useDatabase("pglite");
  let server: Server;
  let callbackUrl = "";
  const calls: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      calls.push(`${request.method} ${request.url}`);
      response.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/u/acme/app/hook/XYZ/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("is never called", async () => {
    const { db } = database();
    await configureSecret(db, "dockerhub");
    const { app, pushes, settle } = webhookApp(db);

    const response = await app.request(`/hooks/dockerhub/${SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        callback_url: callbackUrl,
        push_data: { pushed_at: 1631871970, images: [], tag: "v1", pusher: "ci-bot" },
        repository: { repo_name: "acme/app", namespace: "acme", name: "app" },
      }),
    });
    await settle();
    // A callback sent in the background would arrive within this pause on 127.0.0.1.
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(response.status).toBe(202);
    expect(pushes).toHaveLength(1);
    expect(calls).toEqual([]);
  });
});
