import { createPoller, type Poller } from "@berth/poller";
import { deploys, updateSettings, webhookDeliveries } from "@berth/store";
import { pushTestImage, startRegistry, type TestRegistry } from "@berth/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pushHandler } from "../src/service/push.js";
import { ENGINES, useDatabase } from "./helpers.js";
import { fullApp, secrets, seedProject } from "./ops-helpers.js";

const SECRET = "generic-hook-secret-0123456789";

describe.each(ENGINES)("a webhook and a poll racing for one tag on $engine", ({ engine }) => {
  const database = useDatabase(engine);
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
  });

  afterAll(async () => {
    await registry?.stop();
  });

  test("make one deploy", async () => {
    const handle = database();
    const { dev } = await seedProject(handle, registry.url, "acme/race");
    await updateSettings(handle.db, secrets, { webhookSecrets: { generic: SECRET } });
    const poller: Poller = createPoller({ db: handle.db, busyRetrySeconds: 0.2 });
    const app = fullApp(handle, { onPush: pushHandler(handle.db, poller) });

    // The first poll of a stage records what exists and deploys nothing.
    await pushTestImage({ registry: registry.host, repository: "acme/race", tag: "1.0.0" });
    await poller.pollNow(dev.id);

    await pushTestImage({ registry: registry.host, repository: "acme/race", tag: "1.1.0" });
    const [hook] = await Promise.all([
      app.request(`/api/v1/hooks/generic/${SECRET}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image: `${registry.host}/acme/race:1.1.0` }),
      }),
      poller.pollNow(dev.id),
    ]);
    expect(hook.status).toBe(202);
    await waitForDeliveryResult(handle.db);

    const made = await handle.db.select().from(deploys).where(eq(deploys.stageId, dev.id));
    expect(made.map((deploy) => deploy.tag)).toEqual(["1.1.0"]);
    const [delivery] = await handle.db.select().from(webhookDeliveries);
    expect(delivery?.result).toBe("matched");
    await poller.stop();
  }, 60_000);
});

/** The stage check runs after the 202; waits (at most 20 s) until it recorded its result. */
async function waitForDeliveryResult(db: ReturnType<ReturnType<typeof useDatabase>>["db"]) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [delivery] = await db.select().from(webhookDeliveries);
    if (delivery && delivery.result !== "pending") {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the webhook's stage check did not finish within 20 s");
}
