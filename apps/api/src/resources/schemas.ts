/**
 * Request and response schemas of the REST resources. The handlers validate with these and
 * `GET /api/v1/openapi.json` is generated from them, so the document cannot drift from the code.
 */
import { REGISTRY_TYPES, subdomainPatternProblem, VOLUME_KINDS } from "@berth/store";
import { z } from "@hono/zod-openapi";

const timestamp = z.iso.datetime({ offset: true });
/** An outbound URL: Berth sends requests only over `http:` and `https:`. */
const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) =>
    issue.input === undefined
      ? "required, but missing: expected an http:// or https:// URL"
      : `invalid URL ${JSON.stringify(issue.input)}: use an http:// or https:// URL`,
});

export const IdParams = z.object({
  id: z.string().openapi({
    param: { name: "id", in: "path" },
    example: "4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60",
  }),
});

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string(),
      details: z.unknown(),
    }),
  })
  .openapi("Error");

export const RegistrySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.enum(REGISTRY_TYPES),
    url: z.string(),
    username: z.string().nullable(),
    /** The token itself is write-only. */
    tokenSet: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Registry");

export const RegistryCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    type: z.enum(REGISTRY_TYPES),
    url: httpUrl,
    username: z.string().min(1).max(200).nullish(),
    token: z
      .string()
      .min(1)
      .max(4096)
      .nullish()
      .openapi({ description: "Write-only; stored encrypted" }),
  })
  .openapi("RegistryCreate");

export const RegistryPatchSchema = RegistryCreateSchema.partial().openapi("RegistryPatch");

const slug = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    "use 1-63 lowercase letters, digits and inner hyphens",
  );
const repository = z
  .string()
  .regex(
    /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/,
    "use a lowercase repository path such as acme/shop",
  );

export const ProjectSchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    registryId: z.uuid(),
    repository: z.string(),
    notificationUrl: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Project");

export const ProjectCreateSchema = z
  .object({
    slug,
    name: z.string().trim().min(1).max(200),
    registryId: z.uuid(),
    repository,
    notificationUrl: httpUrl.nullish(),
  })
  .openapi("ProjectCreate");

export const ProjectPatchSchema = ProjectCreateSchema.partial().openapi("ProjectPatch");

const TagPolicySchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("semver"),
      range: z.string().min(1).optional(),
      allowPrerelease: z.boolean().optional(),
    }),
    z.object({ kind: z.literal("numeric"), extract: z.string().min(1).optional() }),
    z.object({ kind: z.literal("alphabetical") }),
    z.object({ kind: z.literal("newest") }),
    z.object({ kind: z.literal("digest") }),
  ])
  .openapi("TagPolicy");

const HealthCheckSchema = z
  .object({
    path: z.string().startsWith("/"),
    expectedStatus: z.number().int().min(100).max(599),
    intervalSeconds: z.number().int().min(1).max(3600),
    timeoutSeconds: z.number().int().min(1).max(3600),
  })
  .openapi("HealthCheck");

const EnvInputSchema = z.object({
  key: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use letters, digits and _, not starting with a digit"),
  value: z.string().max(65536),
  secret: z.boolean().optional().openapi({ description: "Stored encrypted; never returned" }),
});

const VolumeSchema = z.object({
  kind: z.enum(VOLUME_KINDS),
  source: z.string().min(1).max(4096),
  target: z.string().startsWith("/", "use an absolute path inside the container"),
  readOnly: z.boolean().optional(),
});

const stageFields = {
  name: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/,
      "use 1-32 lowercase letters, digits and inner hyphens",
    ),
  tagInclude: z.array(z.string().min(1).max(200)).max(50),
  tagExclude: z.array(z.string().min(1).max(200)).max(50),
  policy: TagPolicySchema,
  autoDeploy: z.boolean(),
  promoteFromStageId: z.uuid().nullable(),
  containerPort: z.number().int().min(1).max(65535).nullable(),
  healthCheck: HealthCheckSchema.nullable(),
  subdomain: z
    .string()
    .min(1)
    .max(63)
    .superRefine((pattern, context) => {
      const message = subdomainPatternProblem(pattern, "stage");
      if (message !== undefined) {
        context.addIssue({ code: "custom", message });
      }
    })
    .nullable(),
  customDomain: z.string().min(1).max(253).nullable(),
  maxInstances: z.number().int().min(1).max(20),
  restartPolicy: z.enum(["no", "always", "unless-stopped", "on-failure"]),
  notificationUrl: httpUrl.nullable(),
  env: z.array(EnvInputSchema).max(200),
  volumes: z.array(VolumeSchema).max(50),
};

export const StageCreateSchema = z
  .object({ projectId: z.uuid(), ...stageFields })
  .partial({
    tagInclude: true,
    tagExclude: true,
    autoDeploy: true,
    promoteFromStageId: true,
    containerPort: true,
    healthCheck: true,
    subdomain: true,
    customDomain: true,
    maxInstances: true,
    restartPolicy: true,
    notificationUrl: true,
    env: true,
    volumes: true,
  })
  .openapi("StageCreate");

export const StagePatchSchema = z
  .object(stageFields)
  .partial()
  .openapi("StagePatch", { description: "env and volumes, when given, replace the whole set" });

export const PollStatusSchema = z
  .object({
    lastPolledAt: timestamp.nullable(),
    lastError: z.string().nullable().openapi({
      description: "The error of the last poll, or null when it succeeded",
    }),
    lastErrorAt: timestamp.nullable(),
    failureStreak: z.number().int().openapi({ description: "Failed polls in a row" }),
    nextDueAt: timestamp.openapi({
      description: "When the poller checks the stage next; after a failure, when its backoff ends",
    }),
  })
  .openapi("PollStatus");

export const StageSchema = z
  .object({
    id: z.uuid(),
    projectId: z.uuid(),
    ...stageFields,
    env: z.array(
      z.object({
        key: z.string(),
        value: z.string().nullable().openapi({ description: "null for secrets" }),
        secret: z.boolean(),
      }),
    ),
    volumes: z.array(VolumeSchema.required()),
    // Stored as text, so responses type it loosely; requests are checked against the enum.
    restartPolicy: z.string(),
    notificationUrl: z.string().nullable(),
    poll: PollStatusSchema.nullable().openapi({
      description: "The poller's last result for the stage; null until its first poll",
    }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .openapi("Stage");

export const StageListQuery = z.object({
  projectId: z
    .uuid()
    .optional()
    .openapi({ param: { name: "projectId", in: "query" } }),
});
