import { type DockerClient, deployTag } from "@berth/deployer";
import { createRegistry, ImageReferenceError, parseImageReference } from "@berth/registry";
import {
  createProject,
  createStage,
  type Database,
  getRegistryCredentials,
  listRegistries,
  type Registry,
} from "@berth/store";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { audit } from "../auth/audit.js";
import { requireAuth } from "../auth/middleware.js";
import { type AuthEnv, describePrincipal } from "../auth/principal.js";
import { ApiError } from "../http/errors.js";
import { toJson } from "../resources/json.js";
import { jsonBody, jsonResponse, WRITE_ERRORS } from "../resources/openapi.js";
import { imageOf } from "../service/push.js";
import { runOperation } from "./errors.js";
import { DeploySchema } from "./schemas.js";
import type { OperationsDeps } from "./types.js";

const tags = ["quick deploy"];

const ImageBody = z
  .object({ image: z.string().min(1).openapi({ example: "gitea.example.test/acme/shop:1.4.2" }) })
  .openapi("QuickDeployInspect");

const InspectionSchema = z
  .object({
    registryId: z.string(),
    repository: z.string(),
    tag: z.string().nullable(),
    tags: z.array(z.string()),
    exposedPorts: z.array(z.string()).nullable(),
    labels: z.record(z.string(), z.string()).nullable(),
    note: z.string().nullable(),
  })
  .openapi("ImageInspection");

const CreateBody = z
  .object({
    image: z.string().min(1),
    slug: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
        "use lowercase letters, digits and inner hyphens",
      ),
    stage: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/)
      .default("dev"),
    containerPort: z.number().int().min(1).max(65535).nullable().optional(),
  })
  .openapi("QuickDeployCreate");

/**
 * Adds `POST /quick-deploy/inspect` (an image's tags, and its exposed ports and labels when an
 * engine can pull it) and `POST /quick-deploy` (a project with one stage, deploying the tag).
 */
export function registerQuickDeployRoutes(app: OpenAPIHono<AuthEnv>, deps: OperationsDeps): void {
  const write = requireAuth(deps, "operator");

  app.openapi(
    createRoute({
      method: "post",
      path: "/quick-deploy/inspect",
      tags,
      middleware: [write] as const,
      request: { body: jsonBody(ImageBody) },
      responses: { 200: jsonResponse(InspectionSchema, "What the image offers"), ...WRITE_ERRORS },
    }),
    async (c) => c.json(await inspect(deps, c.req.valid("json").image), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/quick-deploy",
      tags,
      middleware: [write] as const,
      request: { body: jsonBody(CreateBody) },
      responses: {
        201: jsonResponse(
          z.object({ projectId: z.string(), stageId: z.string(), deploy: DeploySchema }),
          "The new project, its stage and the queued deploy",
        ),
        ...WRITE_ERRORS,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const target = await resolveImage(deps.db, input.image);
      if (!target.tag) {
        throw invalidImage(input.image, "it has no tag: add one, e.g. :1.0.0");
      }
      const tag = target.tag;
      const principal = c.get("principal");
      const created = await deps.db.transaction(async (tx) => {
        const project = await createProject(tx, {
          slug: input.slug,
          name: input.slug,
          registryId: target.registry.id,
          repository: target.repository,
        });
        const stage = await createStage(tx, deps.secrets, {
          projectId: project.id,
          name: input.stage,
          policy: { kind: "semver" },
          containerPort: input.containerPort ?? null,
        });
        await audit(
          tx,
          principal,
          "quick_deploy.create",
          { type: "project", id: project.id },
          {
            image: input.image,
            stageId: stage.id,
          },
        );
        return { project, stage };
      });
      const deploy = await runOperation(() =>
        deployTag(deps.db, {
          stageId: created.stage.id,
          tag,
          requestedBy: describePrincipal(principal),
        }),
      );
      deps.wake?.();
      return c.json(
        { projectId: created.project.id, stageId: created.stage.id, deploy: toJson(deploy) },
        201,
      );
    },
  );
}

interface ResolvedImage {
  registry: Registry;
  repository: string;
  tag: string | null;
}

/** Finds the configured registry that serves the image's host. */
async function resolveImage(db: Database, image: string): Promise<ResolvedImage> {
  let parsed: ReturnType<typeof parseImageReference>;
  try {
    parsed = parseImageReference(image);
  } catch (error) {
    if (error instanceof ImageReferenceError) {
      throw invalidImage(image, error.message);
    }
    throw error;
  }
  const wanted = `${parsed.registry}/${parsed.repository}`;
  const registry = (await listRegistries(db)).find(
    (candidate) => imageOf(candidate.type, candidate.url, parsed.repository) === wanted,
  );
  if (!registry) {
    throw invalidImage(image, `no registry is configured for ${parsed.registry}: add one first`);
  }
  const tagged = (image.split("@")[0]?.split("/").pop() ?? "").includes(":");
  return { registry, repository: parsed.repository, tag: tagged ? (parsed.tag ?? null) : null };
}

async function inspect(deps: OperationsDeps, image: string) {
  const target = await resolveImage(deps.db, image);
  const credentials = await getRegistryCredentials(deps.db, deps.secrets, target.registry.id);
  const client = createRegistry({
    type: target.registry.type,
    url: target.registry.url,
    name: target.registry.name,
    username: credentials.username ?? undefined,
    token: credentials.token ?? undefined,
  });
  try {
    const listed = await client.listTags(target.repository).catch((error: unknown) => {
      throw new ApiError(
        "unavailable",
        `cannot list the tags of ${target.repository} on ${target.registry.name}: ${messageOf(error)}`,
        { cause: error },
      );
    });
    const tag = target.tag ?? listed.at(-1)?.name ?? null;
    const details = await imageDetails(deps.docker(), target, tag, credentials);
    return {
      registryId: target.registry.id,
      repository: target.repository,
      tag,
      tags: listed.map((entry) => entry.name),
      ...details,
    };
  } finally {
    await client.close();
  }
}

/** Exposed ports and labels live in the image config, which the engine reads after a pull. */
async function imageDetails(
  docker: DockerClient | undefined,
  target: ResolvedImage,
  tag: string | null,
  credentials: { username: string | null; token: string | null },
) {
  if (!docker || !tag) {
    const note = docker ? "no tag to inspect" : "no Docker engine is reachable to read the image";
    return { exposedPorts: null, labels: null, note };
  }
  const host = imageOf(target.registry.type, target.registry.url, target.repository).split("/")[0];
  const repository = `${host}/${target.repository}`;
  try {
    const auth =
      credentials.token === null
        ? undefined
        : {
            username: credentials.username ?? undefined,
            password: credentials.token,
            serverAddress: host ?? "",
          };
    await docker.pull(repository, tag, auth);
    const info = await docker.inspectImage(`${repository}:${tag}`);
    return { exposedPorts: info?.exposedPorts ?? [], labels: info?.labels ?? {}, note: null };
  } catch (error) {
    return {
      exposedPorts: null,
      labels: null,
      note: `cannot pull ${repository}:${tag}: ${messageOf(error)}`,
    };
  }
}

function invalidImage(image: string, reason: string): ApiError {
  return new ApiError("validation_failed", `image "${image}" cannot be deployed: ${reason}`, {
    details: { issues: [{ path: "image", message: reason }] },
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
