import { readFile } from "node:fs/promises";
import { importConfig, listProjects, listRegistries } from "@berth/store";
import { serve } from "@hono/node-server";
import type { Logger } from "pino";
import { createApp } from "./app.js";
import { ensureFirstAdmin } from "./auth/first-admin.js";
import type { Config } from "./config.js";
import { openStore, type Store } from "./open-store.js";
import { tagPatternProblem } from "./resources/stage-checks.js";
import { startService } from "./service/service.js";
import { VERSION } from "./version.js";

/** A running server; `close()` stops taking requests, then closes the database. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts Berth: opens and migrates the database, imports `BERTH_SEED_FILE` while the database
 * has no registries and no projects, starts the deploy worker (after its start-up recovery)
 * and the poller, and serves HTTP on the configured host and port.
 */
export async function startServer(
  config: Config,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RunningServer> {
  const store = await openStore(config, logger);
  try {
    if (config.seedFile && (await isUnconfigured(store))) {
      await importSeed(store, config.seedFile, env, logger);
    }
    await createFirstAdmin(store, config, logger);
  } catch (error) {
    await store.close();
    throw error;
  }

  const service = await startService({
    db: store.database.db,
    secrets: store.secrets,
    logger,
    dockerHost: config.dockerHost,
    worker: { staleAfterMs: config.deployStaleAfterSeconds * 1000 },
    registryTimeoutSeconds: config.registryTimeoutSeconds,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const app = createApp({
    ...store,
    logger,
    version: VERSION,
    onPush: service.onPush,
    hub: service.hub,
    docker: service.docker,
    wake: () => service.worker.wake(),
    pollerCounters: () => service.poller.counters(),
    registryRateLimits: () => service.poller.rateLimits(),
    metricsToken: config.metricsToken,
    registryTimeoutSeconds: config.registryTimeoutSeconds,
    webDir: config.webDir,
  });
  const server = await listen(app.fetch, config).catch(async (error: unknown) => {
    await service.stop(config.shutdownTimeoutSeconds * 1000);
    await store.close();
    throw error;
  });
  const url = `http://${formatHost(config.host)}:${config.port}`;
  logger.info(
    { url, engine: store.database.engine, data: store.database.location, version: VERSION },
    `Berth ${VERSION} is listening on ${url}, data in ${store.database.location}`,
  );

  return {
    url,
    async close() {
      // Requests, the poller and running deploys drain together within the one timeout.
      await Promise.all([
        closeServer(server, config.shutdownTimeoutSeconds),
        service.stop(config.shutdownTimeoutSeconds * 1000),
      ]);
      await store.close();
      logger.info("Berth stopped");
    },
  };
}

/**
 * Checks whether the seed file is due. Checking for an empty configuration rather than a new
 * database means a seed that failed on the first start is imported on the next one.
 */
async function isUnconfigured(store: Store): Promise<boolean> {
  const [registries, projects] = await Promise.all([
    listRegistries(store.database.db),
    listProjects(store.database.db),
  ]);
  return registries.length === 0 && projects.length === 0;
}

async function importSeed(
  store: Store,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<void> {
  const text = await readFile(file, "utf8").catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `cannot read BERTH_SEED_FILE ${file}: ${code === "ENOENT" ? "no such file" : code}`,
      {
        cause: error,
      },
    );
  });
  const summary = await importConfig(store.database.db, store.secrets, {
    text,
    file,
    env,
    checkTagPattern: tagPatternProblem,
  });
  logger.info({ file, ...summary }, "imported the seed file");
}

/** Creates the first admin when there is none; a generated password is printed this once. */
async function createFirstAdmin(store: Store, config: Config, logger: Logger): Promise<void> {
  const result = await ensureFirstAdmin({ db: store.database.db, password: config.adminPassword });
  if (!result.created) {
    return;
  }
  if (result.generatedPassword) {
    logger.warn(
      `created the first admin "${result.username}" with the password ${result.generatedPassword} (shown only now): sign in and change it`,
    );
  } else {
    logger.info(`created the first admin "${result.username}" with BERTH_ADMIN_PASSWORD`);
  }
}

type HttpServer = ReturnType<typeof serve>;

function listen(fetch: Parameters<typeof serve>[0]["fetch"], config: Config): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: config.host, port: config.port }, () => {
      server.off("error", reject);
      resolve(server);
    });
    server.once("error", (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === "EADDRINUSE"
          ? `port ${config.port} is in use: stop the other process or set BERTH_PORT`
          : error.message;
      reject(
        new Error(`cannot listen on ${config.host}:${config.port}: ${reason}`, { cause: error }),
      );
    });
  });
}

/** Stops accepting connections and waits for open requests, closing idle keep-alive sockets. */
function closeServer(server: HttpServer, timeoutSeconds: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ("closeAllConnections" in server) {
        server.closeAllConnections();
      }
    }, timeoutSeconds * 1000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ("closeIdleConnections" in server) {
      server.closeIdleConnections();
    }
  });
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
