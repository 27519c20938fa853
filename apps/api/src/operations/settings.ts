import {
  getSettings,
  pollCronProblem,
  REACH_MODES,
  type SubdomainPatternKind,
  subdomainPatternProblem,
  updateSettings,
} from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { toJson, withoutUndefined } from "../resources/json.js";
import { AUTH_ERRORS, jsonBody, jsonResponse, WRITE_ERRORS } from "../resources/openapi.js";
import type { OperationsDeps } from "./types.js";

const tags = ["settings"];

const SettingsSchema = z
  .object({
    baseDomain: z.string().nullable(),
    stageSubdomainPattern: z.string(),
    tagSubdomainPattern: z.string(),
    dockerNetwork: z.string(),
    reachMode: z.enum(REACH_MODES),
    hostAddress: z.string(),
    npmUrl: z.string().nullable(),
    npmEmail: z.string().nullable(),
    npmPasswordSet: z.boolean(),
    pollCron: z.string().nullable(),
    pollIntervalSeconds: z.number().int(),
    pollJitterSeconds: z.number().int(),
    deployConcurrency: z.number().int(),
    healthTimeoutSeconds: z.number().int(),
    notificationUrl: z.string().nullable(),
    notificationSecretSet: z.boolean(),
    volumeAllowList: z.array(z.string()),
    autoCreateProjects: z.boolean(),
    webhookSecretSources: z.array(z.string()),
    updatedAt: z.string(),
  })
  .openapi("Settings");

/** An outbound URL: Berth sends requests only over `http:` and `https:`. */
const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: (issue) => `invalid URL ${JSON.stringify(issue.input)}: use an http:// or https:// URL`,
  })
  .nullable();
/**
 * Returns a schema for a whole number in `min..max` whose error names the value sent. The
 * bounds match the database's checks on the settings row, so a bad value gets a 422 naming
 * the field instead of a constraint error.
 */
const wholeNumber = (min: number, max: number, unit = "") => {
  const error = (issue: { input?: unknown }) =>
    `expected a whole number${unit} from ${min} to ${max}, got ${JSON.stringify(issue.input)}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const seconds = (min: number, max: number) => wholeNumber(min, max, " of seconds");

/** A non-empty string checked by `problem`, a store check that the YAML import runs too. */
const checkedString = (problem: (value: string) => string | undefined) =>
  z
    .string()
    .min(1)
    .superRefine((value, context) => {
      const message = problem(value);
      if (message !== undefined) {
        context.addIssue({ code: "custom", message });
      }
    });

const subdomainPattern = (kind: SubdomainPatternKind) =>
  checkedString((pattern) => subdomainPatternProblem(pattern, kind));

/**
 * A settings change. Secrets are write-only: a value sets one and `null` clears it, while
 * reads only show whether one is set.
 */
const SettingsPatchSchema = z
  .object({
    baseDomain: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, { error: "expected a domain such as apps.example.com" })
      .nullable(),
    stageSubdomainPattern: subdomainPattern("stage"),
    tagSubdomainPattern: subdomainPattern("tag"),
    dockerNetwork: z.string().min(1),
    reachMode: z.enum(REACH_MODES),
    hostAddress: z.string().min(1),
    npmUrl: httpUrl,
    npmEmail: z.email({ error: "expected an email address" }).nullable(),
    npmPassword: z.string().min(1).nullable(),
    pollCron: checkedString((expression) => pollCronProblem(expression)).nullable(),
    pollIntervalSeconds: seconds(10, 86400),
    pollJitterSeconds: seconds(0, 3600),
    deployConcurrency: wholeNumber(1, 64),
    healthTimeoutSeconds: seconds(5, 3600),
    notificationUrl: httpUrl,
    notificationSecret: z.string().min(1).nullable(),
    volumeAllowList: z.array(z.string().startsWith("/", { error: "expected an absolute path" })),
    autoCreateProjects: z.boolean(),
  })
  .partial()
  .strict()
  .openapi("SettingsPatch");

/** Adds `GET /settings` for anyone signed in and `PATCH /settings` for admins. */
export function registerSettingsRoutes(app: OpenAPIHono<AuthEnv>, deps: OperationsDeps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/settings",
      tags,
      middleware: [requireAuth(deps, "viewer")] as const,
      responses: {
        200: jsonResponse(z.object({ settings: SettingsSchema }), "The settings"),
        ...AUTH_ERRORS,
      },
    }),
    async (c) => c.json({ settings: toJson(await getSettings(deps.db)) }, 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/settings",
      tags,
      middleware: [requireAuth(deps, "admin")] as const,
      request: { body: jsonBody(SettingsPatchSchema) },
      responses: {
        200: jsonResponse(z.object({ settings: SettingsSchema }), "The changed settings"),
        ...WRITE_ERRORS,
      },
    }),
    async (c) => {
      const patch = withoutUndefined(c.req.valid("json"));
      const settings = await deps.db.transaction(async (tx) => {
        const updated = await updateSettings(tx, deps.secrets, patch);
        await audit(tx, c.get("principal"), "settings.update", undefined, {
          fields: Object.keys(patch),
        });
        return updated;
      });
      return c.json({ settings: toJson(settings) }, 200);
    },
  );
}
