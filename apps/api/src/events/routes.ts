import { FINISHED_DEPLOY_STATUSES, getDeploy, listDeployLogs } from "@berth/store";
import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import { type RequireAuthDeps, requireAuth } from "../auth/middleware.js";
import type { AuthEnv } from "../auth/principal.js";
import { inProject, projectLimitOf } from "../auth/project-limit.js";
import { ApiError } from "../http/errors.js";
import { IdParams, requireId } from "../operations/ids.js";
import { AUTH_ERRORS, NOT_FOUND } from "../resources/openapi.js";
import { type BerthEvent, eventKey } from "./changes.js";
import type { EventHub } from "./hub.js";
import { projectEventFilter } from "./project-filter.js";

export interface EventRoutesDeps extends RequireAuthDeps {
  hub: EventHub;
  /** How often a followed deploy log is read. Default 500 ms. */
  logIntervalMs?: number | undefined;
  /** Comment lines keep proxies from closing a quiet stream. Default 15 s. */
  keepAliveMs?: number | undefined;
}

const FINISHED: readonly string[] = FINISHED_DEPLOY_STATUSES;

/**
 * `GET /events`: deploy, candidate, instance and poll_error events as server-sent events, and
 * `GET /deploys/:id/logs`: the deploy's log so far, then new lines until the deploy ends.
 * Both resume after the `Last-Event-ID` the client sends on reconnect. A token limited to a
 * project gets the events of that project's stages only, and the logs of its deploys only.
 */
export function eventRoutes(deps: EventRoutesDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const read = requireAuth(deps, "viewer", "project");

  app.get("/events", read, (c) => {
    const since = parseEventId(c.req.header("last-event-id"));
    const limit = projectLimitOf(c.get("principal"));
    const visible = limit ? projectEventFilter(deps.db, limit.id) : async () => true;
    return streamSSE(c, async (stream) => {
      const queue: BerthEvent[] = [];
      // Replayed events can come again from the hub's overlapping read, so their keys filter it.
      const replayed = new Set<string>();
      let wake: (() => void) | undefined;
      let ended = false;
      const unsubscribe = deps.hub.subscribe(
        (event) => {
          if (!replayed.has(eventKey(event))) {
            queue.push(event);
            wake?.();
          }
        },
        () => {
          ended = true;
          wake?.();
        },
      );
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      if (since) {
        const missed = await deps.hub.replay(since);
        for (const event of missed) {
          replayed.add(eventKey(event));
        }
        queue.unshift(...missed);
      }
      await stream.writeSSE({ event: "ready", data: "{}" });
      while (!stream.aborted && !ended) {
        for (let event = queue.shift(); event; event = queue.shift()) {
          if (await visible(event)) {
            await writeEvent(stream, event);
          }
        }
        await waitFor((resolve) => {
          wake = resolve;
        }, deps.keepAliveMs ?? 15_000);
        wake = undefined;
        if (queue.length === 0 && !stream.aborted && !ended) {
          await stream.write(": keep-alive\n\n");
        }
      }
      unsubscribe();
    });
  });

  app.get("/deploys/:id/logs", read, inProject(deps, "deploy"), async (c) => {
    const id = requireId("deploy", c.req.param("id"));
    await getDeploy(deps.db, id);
    const after = parseLogId(c.req.header("last-event-id"));
    return streamSSE(c, async (stream) => {
      let last = after;
      // Ends with the hub at shutdown, so the client resumes from its last id on another process.
      while (!stream.aborted && !deps.hub.closed) {
        const deploy = await getDeploy(deps.db, id);
        const entries = await listDeployLogs(deps.db, id, last);
        for (const entry of entries) {
          await stream.writeSSE({
            event: "log",
            id: String(entry.id),
            data: JSON.stringify(entry),
          });
          last = entry.id;
        }
        // The status is read before the lines, so lines written before the end are all sent.
        if (FINISHED.includes(deploy.status)) {
          await stream.writeSSE({
            event: "end",
            data: JSON.stringify({ status: deploy.status, error: deploy.error }),
          });
          return;
        }
        await stream.sleep(deps.logIntervalMs ?? 500);
      }
    });
  });

  return app;
}

async function writeEvent(stream: SSEStreamingApi, event: BerthEvent): Promise<void> {
  const { type, at, ...payload } = event;
  await stream.writeSSE({
    event: type,
    id: String(at.getTime()),
    data: JSON.stringify({ ...payload, at: at.toISOString() }),
  });
}

function waitFor(register: (resolve: () => void) => void, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    register(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Parses an `/events` id, a time in milliseconds. A resume replays everything after it.
 * NOTE: events in the same millisecond as the last one received are not replayed.
 */
function parseEventId(value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new ApiError(
      "validation_failed",
      `Last-Event-ID "${value}" is not an id of this stream: reconnect without it`,
    );
  }
  return new Date(ms);
}

function parseLogId(value: string | undefined): number {
  if (value === undefined) {
    return 0;
  }
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new ApiError(
      "validation_failed",
      `Last-Event-ID "${value}" is not a log line id: reconnect without it`,
    );
  }
  return id;
}

/** Describes the two streams, whose bodies are `text/event-stream`, in the OpenAPI document. */
export function documentEventRoutes(registry: OpenAPIHono["openAPIRegistry"]): void {
  const stream = (description: string) => ({
    description,
    content: { "text/event-stream": { schema: z.string() } },
  });
  registry.registerPath({
    method: "get",
    path: "/events",
    tags: ["events"],
    description:
      "Server-sent events `deploy`, `candidate`, `instance` and `poll_error`, from every Berth process on the database. A token limited to a project gets the events of that project's stages only. Send `Last-Event-ID` to resume.",
    responses: { 200: stream("The event stream"), ...AUTH_ERRORS },
  });
  registry.registerPath({
    method: "get",
    path: "/deploys/{id}/logs",
    tags: ["deploys"],
    description:
      "The deploy's log as `log` events (id = line id), then one `end` event when the deploy has finished. Send `Last-Event-ID` to resume after a line.",
    request: { params: IdParams },
    responses: { 200: stream("The log stream"), ...AUTH_ERRORS, ...NOT_FOUND },
  });
}
