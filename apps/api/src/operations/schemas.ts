import { DEPLOY_STATUSES, DEPLOY_TRIGGERS, INSTANCE_STATUSES } from "@berth/store";
import { z } from "@hono/zod-openapi";

const timestamp = z.string().openapi({ example: "2026-12-04T20:10:00.000Z" });

export const DeploySchema = z
  .object({
    id: z.string(),
    stageId: z.string(),
    tag: z.string(),
    digest: z.string().nullable(),
    trigger: z.string(),
    status: z.enum(DEPLOY_STATUSES),
    step: z.string().nullable(),
    error: z.string().nullable(),
    requestedBy: z.string().nullable(),
    approvedBy: z.string().nullable(),
    sourceDeployId: z.string().nullable(),
    claimedBy: z.string().nullable(),
    heartbeatAt: timestamp.nullable(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    updatedAt: timestamp,
  })
  .openapi("Deploy");

export const DeployLogSchema = z
  .object({
    id: z.number().int(),
    deployId: z.string(),
    at: timestamp,
    level: z.string(),
    step: z.string().nullable(),
    message: z.string(),
  })
  .openapi("DeployLogEntry");

export const InstanceSchema = z
  .object({
    id: z.string(),
    stageId: z.string(),
    deployId: z.string().nullable(),
    containerId: z.string().nullable(),
    containerName: z.string(),
    tag: z.string(),
    digest: z.string(),
    status: z.enum(INSTANCE_STATUSES),
    health: z.string().nullable(),
    upstreamHost: z.string().nullable(),
    upstreamPort: z.number().int().nullable(),
    domain: z.string().nullable(),
    proxyHostId: z.number().int().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    stoppedAt: timestamp.nullable(),
  })
  .openapi("Instance");

const uuid = z.uuid({ error: "expected a UUID, e.g. 4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60" });

export const DeployListQuery = z.object({
  stageId: uuid.optional(),
  projectId: uuid.optional(),
  status: z
    .enum(DEPLOY_STATUSES, { error: `expected one of ${DEPLOY_STATUSES.join(", ")}` })
    .optional(),
  trigger: z
    .enum(DEPLOY_TRIGGERS, { error: `expected one of ${DEPLOY_TRIGGERS.join(", ")}` })
    .optional(),
  limit: z.coerce
    .number({ error: "expected a whole number from 1 to 200" })
    .int({ error: "expected a whole number from 1 to 200" })
    .min(1, { error: "expected a whole number from 1 to 200" })
    .max(200, { error: "expected a whole number from 1 to 200" })
    .default(50),
  before: z.string().optional().openapi({ description: "The `nextCursor` of the previous page" }),
});

export const DeployCreateSchema = z
  .object({
    stageId: uuid,
    tag: z.string().min(1, { error: "expected a tag, e.g. 1.4.2" }),
    digest: z.string().optional(),
  })
  .openapi("DeployCreate");

export const PromoteSchema = z.object({ stageId: uuid }).openapi("Promote");

export const InstanceListQuery = z.object({
  stageId: uuid.optional(),
  status: z
    .enum(INSTANCE_STATUSES, { error: `expected one of ${INSTANCE_STATUSES.join(", ")}` })
    .optional(),
});

export const DeployResponse = z.object({ deploy: DeploySchema });
export const InstanceResponse = z.object({ instance: InstanceSchema });
