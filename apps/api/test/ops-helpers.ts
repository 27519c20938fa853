import { randomBytes } from "node:crypto";
import {
  createProject,
  createRegistry,
  createSecrets,
  createStage,
  type DatabaseHandle,
  type UserRole,
} from "@berth/store";
import pino from "pino";
import { type AppDeps, createApp } from "../src/app.js";
import { json, seedUser, TEST_PASSWORD } from "./helpers.js";

export const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);

/** The whole app as `berth serve` builds it, on the given database, without poller or worker. */
export function fullApp(handle: DatabaseHandle, extra: Partial<AppDeps> = {}) {
  return createApp({
    database: handle,
    secrets,
    logger: pino({ level: "silent" }),
    version: "0.0.0-test",
    ...extra,
  });
}

export type FullApp = ReturnType<typeof fullApp>;

/** Creates a user with the role, logs in and returns a caller that sends its session cookie. */
export async function signedIn(app: FullApp, handle: DatabaseHandle, role: UserRole) {
  await seedUser(handle, role, role);
  const response = await app.request("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: role, password: TEST_PASSWORD }),
  });
  if (response.status !== 200) {
    throw new Error(`login as ${role} failed: ${response.status} ${await response.text()}`);
  }
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return caller(app, { cookie });
}

/** A caller with fixed headers, e.g. a session cookie or a bearer token. */
export function caller(app: FullApp, headers: Record<string, string>) {
  return (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    app.request(`/api/v1${path}`, {
      method,
      headers: {
        ...headers,
        ...extra,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

export type Call = ReturnType<typeof caller>;

/** Creates an API token with the scope through the routes and returns a caller using it. */
export async function tokenCaller(app: FullApp, call: Call, scope: "read" | "deploy" | "admin") {
  const response = await call("POST", "/tokens", { name: `ci-${scope}`, scope });
  if (response.status !== 201) {
    throw new Error(`token creation failed: ${response.status} ${await response.text()}`);
  }
  const { secret } = await json<{ secret: string }>(response);
  return caller(app, { authorization: `Bearer ${secret}` });
}

/** A registry, a project and two stages (`dev` auto-deploys; `prod` promotes from it). */
export async function seedProject(
  handle: DatabaseHandle,
  registryUrl = "https://gitea.example.test",
  repository = "acme/shop",
) {
  const { db } = handle;
  await db.execute("truncate registries cascade");
  const registry = await createRegistry(db, secrets, {
    name: "main",
    type: "oci",
    url: registryUrl,
  });
  const project = await createProject(db, {
    slug: "shop",
    name: "Shop",
    registryId: registry.id,
    repository,
  });
  const dev = await createStage(db, secrets, {
    projectId: project.id,
    name: "dev",
    policy: { kind: "semver" },
    autoDeploy: true,
  });
  const prod = await createStage(db, secrets, {
    projectId: project.id,
    name: "prod",
    policy: { kind: "semver" },
    promoteFromStageId: dev.id,
  });
  return { registry, project, dev, prod };
}
