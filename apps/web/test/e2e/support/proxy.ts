import { createServer, request, type Server } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { dashboardRoutes } from "../../../server/routes.js";

export interface FrontServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the static build through `dashboardRoutes` and forwards `/api/` to the Berth
 * server, keeping every header including `Host`, so the API's same-origin check compares
 * against the address the browser used. Used when `berth serve` does not serve the dashboard itself.
 */
export async function startFrontServer(buildDir: string, apiUrl: string): Promise<FrontServer> {
  const api = new URL(apiUrl);
  const app = new Hono();
  app.route("/", dashboardRoutes(buildDir));
  const serveDashboard = getRequestListener(app.fetch);

  const server: Server = createServer((incoming, outgoing) => {
    if (!incoming.url?.startsWith("/api/")) {
      void serveDashboard(incoming, outgoing);
      return;
    }
    const forwarded = request(
      {
        hostname: api.hostname,
        port: api.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", (error) => {
      outgoing.writeHead(502, { "content-type": "application/json" });
      outgoing.end(
        JSON.stringify({
          error: { code: "unavailable", message: `test proxy: ${error.message}`, details: null },
        }),
      );
    });
    incoming.pipe(forwarded);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error("front server has no TCP address");
  }
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
