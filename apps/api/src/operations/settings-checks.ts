import { createProxyManagerClient } from "@berth/deployer";
import { getSettings, getSettingsSecrets } from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { AUTH_ERRORS, jsonResponse } from "../resources/openapi.js";
import type { OperationsDeps } from "./types.js";

const CheckSchema = z.object({ ok: z.boolean(), message: z.string() });

/** Adds `POST /settings/npm/test`, which signs in to Nginx Proxy Manager with the stored settings. */
export function registerSettingsCheckRoutes(app: OpenAPIHono<AuthEnv>, deps: OperationsDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/settings/npm/test",
      tags: ["settings"],
      description:
        "Signs in to Nginx Proxy Manager with the stored URL, email and password and lists its proxy hosts. A failed check is a 200 with ok false.",
      middleware: [requireAuth(deps, "admin")] as const,
      responses: {
        200: jsonResponse(CheckSchema, "The check's result, failed or not"),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => {
      const answer = await checkProxyManager(deps);
      await audit(deps.db, c.get("principal"), "settings.npm.test", undefined, { ok: answer.ok });
      return c.json(answer, 200);
    },
  );
}

async function checkProxyManager(deps: OperationsDeps): Promise<{ ok: boolean; message: string }> {
  const settings = await getSettings(deps.db);
  const { npmPassword } = await getSettingsSecrets(deps.db, deps.secrets);
  if (!settings.npmUrl || !settings.npmEmail || !npmPassword) {
    return {
      ok: false,
      message:
        "Nginx Proxy Manager is not configured: set its URL, email and password in the settings",
    };
  }

  try {
    const client = createProxyManagerClient({
      url: settings.npmUrl,
      email: settings.npmEmail,
      password: npmPassword,
      timeoutMs: 10_000,
    });
    const hosts = await client.listProxyHosts();
    return {
      ok: true,
      message: `signed in to ${settings.npmUrl} as ${settings.npmEmail}: ${hosts.length} proxy hosts`,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      message: `Nginx Proxy Manager check failed at ${settings.npmUrl}: ${reason}`,
    };
  }
}
