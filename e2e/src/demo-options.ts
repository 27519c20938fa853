/** Options of `pnpm demo`, read from its environment. */

export interface DemoOptions {
  port: number;
  /** Password of the `admin` user; generated when unset. */
  adminPassword: string | undefined;
  /** A Postgres server to make the demo's database on; unset runs on the embedded database. */
  databaseUrl: string | undefined;
}

export class DemoOptionError extends Error {
  override readonly name = "DemoOptionError";
}

/** Reads BERTH_DEMO_PORT (default 8080), BERTH_ADMIN_PASSWORD and a Postgres URL. */
export function readDemoOptions(env: NodeJS.ProcessEnv): DemoOptions {
  const text = env.BERTH_DEMO_PORT?.trim() || "8080";
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DemoOptionError(
      `BERTH_DEMO_PORT is "${text}": expected a whole number from 1 to 65535, e.g. BERTH_DEMO_PORT=8081 pnpm demo`,
    );
  }
  const password = env.BERTH_ADMIN_PASSWORD?.trim() || undefined;
  if (password !== undefined && password.length < 12) {
    throw new DemoOptionError(
      `BERTH_ADMIN_PASSWORD is ${password.length} characters long: use at least 12, or unset it to have one generated`,
    );
  }
  const databaseUrl = env.TEST_DATABASE_URL?.trim() || env.DATABASE_URL?.trim() || undefined;
  return { port, adminPassword: password, databaseUrl };
}
