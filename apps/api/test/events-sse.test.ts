import { appendDeployLog, deploys, queueDeploy } from "@berth/store";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { createEventHub } from "../src/events/hub.js";
import { ENGINES, useDatabase } from "./helpers.js";
import { fullApp, seedProject, signedIn } from "./ops-helpers.js";

const DIGEST = `sha256:${"b".repeat(64)}`;

interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** Reads server-sent events from a response until `stop` says so or the stream ends. */
async function readEvents(
  response: Response,
  stop: (events: SseEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<SseEvent[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  let buffer = "";
  try {
    while (!stop(events) && Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<"late">((resolve) => setTimeout(() => resolve("late"), deadline - Date.now())),
      ]);
      if (chunk === "late" || chunk.done) {
        break;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed = parseBlock(block);
        if (parsed) {
          events.push(parsed);
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

function parseBlock(block: string): SseEvent | undefined {
  const fields = new Map<string, string>();
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
  }
  const data = fields.get("data");
  return data === undefined
    ? undefined
    : { event: fields.get("event") ?? "message", id: fields.get("id"), data };
}

describe.each(ENGINES)("live events on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const handle = database();
    const seeded = await seedProject(handle);
    const hub = createEventHub({ db: handle.db, intervalMs: 50 });
    const app = fullApp(handle, { hub });
    const admin = await signedIn(app, handle, "admin");
    return { handle, app, hub, admin, ...seeded };
  }

  test("log stream follows a deploy", async () => {
    const { handle, admin, dev, hub } = await setup();
    const deploy = await queueDeploy(handle.db, {
      stageId: dev.id,
      tag: "1.0.0",
      digest: DIGEST,
      trigger: "manual",
    });
    await appendDeployLog(handle.db, { deployId: deploy.id, step: "pull", message: "pulling" });

    const response = await admin("GET", `/deploys/${deploy.id}/logs`);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const writer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await appendDeployLog(handle.db, { deployId: deploy.id, step: "start", message: "started" });
      await appendDeployLog(handle.db, { deployId: deploy.id, step: "health", message: "healthy" });
      await handle.db
        .update(deploys)
        .set({ status: "succeeded", finishedAt: new Date() })
        .where(eq(deploys.id, deploy.id));
    })();
    const events = await readEvents(response, (seen) => seen.some((e) => e.event === "end"));
    await writer;

    const lines = events.filter((e) => e.event === "log").map((e) => JSON.parse(e.data).message);
    expect(lines).toEqual(["pulling", "started", "healthy"]);
    expect(JSON.parse(events.at(-1)?.data ?? "{}")).toMatchObject({ status: "succeeded" });

    const firstId = events[0]?.id ?? "";
    const again = await readEvents(
      await admin("GET", `/deploys/${deploy.id}/logs`, undefined, { "last-event-id": firstId }),
      (seen) => seen.some((e) => e.event === "end"),
    );
    expect(again.filter((e) => e.event === "log").map((e) => JSON.parse(e.data).message)).toEqual([
      "started",
      "healthy",
    ]);
    await hub.close();
  });

  test("bad stream requests are rejected", async () => {
    const { admin, hub } = await setup();
    const bad = await admin("GET", "/events", undefined, { "last-event-id": "yesterday" });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('Last-Event-ID \\"yesterday\\"');
    expect((await admin("GET", "/deploys/4f6c1f9e-8d2b-4c59-9a0e-3c1b2d4e5f60/logs")).status).toBe(
      404,
    );
    await hub.close();
  });

  test("events report database changes", async () => {
    const { handle, admin, dev, hub, app } = await setup();
    expect((await app.request("/api/v1/events")).status).toBe(401);

    const response = await admin("GET", "/events");
    const writer = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Written straight to the tables, as another Berth process would.
      await queueDeploy(handle.db, {
        stageId: dev.id,
        tag: "2.0.0",
        digest: DIGEST,
        trigger: "webhook",
      });
    })();
    const events = await readEvents(response, (seen) =>
      ["deploy", "candidate"].every((type) => seen.some((e) => e.event === type)),
    );
    await writer;

    expect(events[0]?.event).toBe("ready");
    const candidate = events.find((e) => e.event === "candidate");
    expect(JSON.parse(candidate?.data ?? "{}").deploy).toMatchObject({
      tag: "2.0.0",
      trigger: "webhook",
    });

    const resumed = await admin("GET", "/events", undefined, {
      "last-event-id": String(Number(candidate?.id) - 1),
    });
    const replayed = await readEvents(resumed, (seen) => seen.some((e) => e.event === "candidate"));
    expect(replayed.filter((e) => e.event === "candidate")).toHaveLength(1);
    await hub.close();
  });
});
