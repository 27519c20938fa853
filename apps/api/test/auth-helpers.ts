import type { Database } from "@berth/store";
import { authRoutes } from "../src/auth/login.js";
import { requireAuth } from "../src/auth/middleware.js";
import type { AuthEnv } from "../src/auth/principal.js";
import { createLoginLimiter } from "../src/auth/rate-limit.js";
import { tokenRoutes } from "../src/auth/tokens.js";
import type { AuthRoutesDeps } from "../src/auth/types.js";
import { userRoutes } from "../src/auth/users.js";
import { json, TEST_PASSWORD, testApp } from "./helpers.js";

/** Mounts the auth routes on a test app, plus one probe route per access level. */
export function authApp(db: Database, overrides: Partial<AuthRoutesDeps> = {}) {
  const deps: AuthRoutesDeps = {
    db,
    loginLimiter: createLoginLimiter({ maxFailures: 3, windowMs: 60_000 }),
    ...overrides,
  };
  const app = testApp();
  app.route("/auth", authRoutes(deps));
  app.route("/users", userRoutes(deps));
  app.route("/tokens", tokenRoutes(deps));
  app.get("/probe/viewer", requireAuth(deps, "viewer"), (c) =>
    c.json({ principal: c.get("principal") }),
  );
  app.post("/probe/operator", requireAuth(deps, "operator"), (c) =>
    c.json({ principal: c.get("principal") }),
  );
  app.post("/probe/admin", requireAuth(deps, "admin"), (c) =>
    c.json({ principal: c.get("principal") }),
  );
  return app;
}

export type AuthApp = ReturnType<typeof authApp>;
export type PrincipalJson = { principal: AuthEnv["Variables"]["principal"] };

/** Logs in and returns the `Cookie` header value for later requests. */
export async function login(app: AuthApp, username: string, password = TEST_PASSWORD) {
  const response = await app.request("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", host: "berth.test" },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) {
    throw new Error(
      `login of ${username} failed with ${response.status}: ${await response.text()}`,
    );
  }
  const cookie = response.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0] ?? "";
}

/** Creates an API token through the routes and returns its secret. */
export async function createToken(app: AuthApp, cookie: string, scope: string) {
  const response = await app.request("/tokens", {
    method: "POST",
    headers: { "content-type": "application/json", cookie, host: "berth.test" },
    body: JSON.stringify({ name: `ci-${scope}`, scope }),
  });
  if (response.status !== 201) {
    throw new Error(`token creation failed with ${response.status}: ${await response.text()}`);
  }
  return json<{ secret: string; token: { id: string; prefix: string } }>(response);
}
