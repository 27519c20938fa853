import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, onTestFinished, test } from "vitest";
import type { ContainerState, DockerClient, ImageHealthcheck } from "../src/docker/types.js";
import { DeployError } from "../src/errors.js";
import type { DeployContext } from "../src/pipeline/context.js";
import { waitUntilHealthy } from "../src/pipeline/health-gate.js";

// Engine snapshots from the health-gate cases (HEALTHCHECK start period, interval, retries),
// scaled from seconds to milliseconds so the loop runs in a test. Podman here never runs
// HEALTHCHECKs, so these states come from a scripted engine.
const HEALTHCHECK: ImageHealthcheck = {
  test: ["CMD", "true"],
  intervalMs: 10,
  timeoutMs: 5,
  startPeriodMs: 60,
  retries: 3,
};

function state(overrides: Partial<ContainerState>): ContainerState {
  return {
    id: "new",
    name: "new",
    status: "running",
    running: true,
    exitCode: 0,
    restartCount: 0,
    health: null,
    labels: {},
    ports: {},
    ...overrides,
  };
}

const starting = state({ health: { status: "starting", failingStreak: 0, lastOutput: undefined } });

/** An engine whose inspect returns the given snapshots in turn, then repeats the last. */
function scriptedEngine(snapshots: ContainerState[]): DockerClient {
  let index = 0;
  return {
    inspectContainer: async () => {
      const snapshot = snapshots[Math.min(index, snapshots.length - 1)];
      index += 1;
      return snapshot ?? null;
    },
  } as Partial<DockerClient> as DockerClient;
}

const context = {
  settings: { healthTimeoutSeconds: 0.03 },
  stage: { healthCheck: null },
} as unknown as DeployContext;

async function gate(snapshots: ContainerState[], healthcheck: ImageHealthcheck | null) {
  const deps = { docker: scriptedEngine(snapshots), stabilityMs: 30 };
  return waitUntilHealthy(deps, context, "new", healthcheck, undefined).then(
    () => "pass",
    (error: unknown) => error,
  );
}

describe("health gate loop", () => {
  test("slow start within start period plus retries passes", async () => {
    // Healthy only after 5 polls 10 ms apart: past the 30 ms setting, within 60 + 4 × 15 ms.
    const snapshots = [
      ...Array(5).fill(starting),
      state({ health: { status: "healthy", failingStreak: 0, lastOutput: undefined } }),
    ];

    expect(await gate(snapshots, HEALTHCHECK)).toBe("pass");
  });

  test("unhealthy rolls back with the last healthcheck output", async () => {
    const unhealthy = state({
      health: { status: "unhealthy", failingStreak: 3, lastOutput: "curl: (7) refused" },
    });

    const error = await gate([starting, unhealthy], HEALTHCHECK);

    expect(error).toBeInstanceOf(DeployError);
    expect((error as DeployError).step).toBe("health");
    expect((error as DeployError).message).toBe("healthcheck failed 3 times: curl: (7) refused");
  });

  test("restarting container without HEALTHCHECK fails", async () => {
    const error = await gate(
      [state({}), state({ status: "restarting", running: false, restartCount: 2 })],
      null,
    );

    expect((error as DeployError).message).toMatch(/restart count 2/);
  });

  test("steady container without any check passes after the stability window", async () => {
    expect(await gate([state({})], null)).toBe("pass");
  });

  test("exited container fails at once", async () => {
    const error = await gate([state({ status: "exited", running: false, exitCode: 1 })], null);

    expect((error as DeployError).message).toBe("container exited with code 1");
  });

  test("HEALTHCHECK that never settles times out", async () => {
    const error = await gate([starting], HEALTHCHECK);

    expect((error as DeployError).message).toBe(
      "health gate timed out after 0 s (the image HEALTHCHECK's start period plus 4 tries of its interval and timeout, longer than settings healthTimeoutSeconds of 0.03 s): no check has passed yet",
    );
  });
});

/** Starts an HTTP server on 127.0.0.1 that never responds, and stops it after the test. */
async function silentServer(): Promise<{ host: string; port: number }> {
  const server = createServer(() => {
    // Never respond, like an app stuck at start-up.
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
}

async function httpGate(healthTimeoutSeconds: number, checkTimeoutSeconds: number) {
  const upstream = await silentServer();
  const httpContext = {
    settings: { healthTimeoutSeconds },
    stage: {
      healthCheck: {
        path: "/health",
        expectedStatus: 200,
        intervalSeconds: 0.05,
        timeoutSeconds: checkTimeoutSeconds,
      },
    },
  } as unknown as DeployContext;
  const deps = { docker: scriptedEngine([state({})]), stabilityMs: 30 };
  const started = Date.now();
  const error = await waitUntilHealthy(deps, httpContext, "new", null, upstream).then(
    () => new Error("the gate passed"),
    (caught: unknown) => caught,
  );
  return { error: error as DeployError, elapsedMs: Date.now() - started, upstream };
}

describe("health gate with an HTTP check", () => {
  test("timeout names the gate limit and the request limit", async () => {
    const { error, upstream } = await httpGate(1, 0.2);

    expect(error).toBeInstanceOf(DeployError);
    expect(error.step).toBe("health");
    expect(error.message).toBe(
      `health gate timed out after 1 s (settings healthTimeoutSeconds, while the stage's health check timeoutSeconds of 0.2 s limits each request): GET http://127.0.0.1:${upstream.port}/health did not respond within 0.2 s`,
    );
  });

  test("request timeout longer than the gate ends at the gate", async () => {
    const { error, elapsedMs, upstream } = await httpGate(1, 30);

    expect(elapsedMs).toBeLessThan(3000);
    expect(error.message).toMatch(
      /^health gate timed out after 1 s \(settings healthTimeoutSeconds, /,
    );
    expect(error.message).toContain(
      `GET http://127.0.0.1:${upstream.port}/health did not respond before the gate's limit`,
    );
  });

  test("a passing check leaves no connection open to the instance", async () => {
    // Each instance has its own port; a kept-alive connection or pool per port would pile up
    // over the life of the process, one per deploy.
    const server = createServer((_request, response) => {
      response.end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });
    const upstream = { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
    const context = {
      settings: { healthTimeoutSeconds: 5 },
      stage: {
        healthCheck: { path: "/", expectedStatus: 200, intervalSeconds: 0.05, timeoutSeconds: 1 },
      },
    } as unknown as DeployContext;
    const deps = { docker: scriptedEngine([state({})]), stabilityMs: 30 };

    await waitUntilHealthy(deps, context, "new", null, upstream);

    const open = await waitForConnections(server, 0, 1000);
    expect(open).toBe(0);
  });

  test("a refused connection names the address", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const context = {
      settings: { healthTimeoutSeconds: 0.3 },
      stage: {
        healthCheck: { path: "/up", expectedStatus: 200, intervalSeconds: 0.05, timeoutSeconds: 1 },
      },
    } as unknown as DeployContext;
    const deps = { docker: scriptedEngine([state({})]), stabilityMs: 30 };

    const error = await waitUntilHealthy(deps, context, "new", null, {
      host: "127.0.0.1",
      port,
    }).catch((caught: unknown) => caught as Error);

    expect(error?.message).toContain(`GET http://127.0.0.1:${port}/up failed: `);
    expect(error?.message).toContain("ECONNREFUSED");
  });
});

/** Polls the server's open connection count until it is `wanted` or `timeoutMs` passes. */
async function waitForConnections(
  server: ReturnType<typeof createServer>,
  wanted: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    if (count === wanted || Date.now() >= deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
