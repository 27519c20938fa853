import { stages } from "@berth/store";
import { eq } from "drizzle-orm";
import pino from "pino";
import { describe, expect, test } from "vitest";
import { pushHandler, type StageChecker } from "../src/service/push.js";
import { ENGINES, useDatabase } from "./helpers.js";
import { seedProject } from "./ops-helpers.js";

describe.each(ENGINES)("push handler on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  const recordingChecker = () => {
    const calls: Array<{ stageIds: readonly string[]; options: object }> = [];
    const checker: StageChecker = {
      checkStages: async (stageIds, options) => {
        calls.push({ stageIds, options });
      },
    };
    return { checker, calls };
  };

  test("push checks stages with its tag", async () => {
    const handle = database();
    const { dev, prod } = await seedProject(handle);
    const { checker, calls } = recordingChecker();
    const onPush = pushHandler(handle.db, checker);

    const outcome = await onPush({
      source: "gitea",
      image: "gitea.example.test/acme/shop",
      tag: "dev-1",
      deliveryId: "00000000-0000-4000-8000-000000000001",
    });

    expect(outcome).toEqual({ matchedStages: 2, stagesTakingTag: 2 });
    expect(calls).toHaveLength(1);
    expect([...(calls[0]?.stageIds ?? [])].sort()).toEqual([dev.id, prod.id].sort());
    expect(calls[0]?.options).toEqual({ trigger: "webhook", pushedTag: "dev-1" });
  });

  test("push counts only the stages whose tag patterns take its tag", async () => {
    const handle = database();
    const { prod } = await seedProject(handle);
    await handle.db
      .update(stages)
      .set({ tagInclude: ["v*"] })
      .where(eq(stages.id, prod.id));
    const { checker, calls } = recordingChecker();

    const outcome = await push(
      handle.db,
      checker,
      "gitea.example.test/acme/shop",
      "dev-1",
      "00000000-0000-4000-8000-000000000003",
    );

    // Both stages are checked, since the check itself applies the patterns; only dev takes dev-1.
    expect(outcome).toEqual({ matchedStages: 2, stagesTakingTag: 1 });
    expect(calls[0]?.stageIds).toHaveLength(2);
  });

  test("a stored pattern that does not compile leaves the count to the image", async () => {
    const handle = database();
    const { prod } = await seedProject(handle);
    await handle.db
      .update(stages)
      .set({ tagInclude: ["dev-[*"] })
      .where(eq(stages.id, prod.id));
    const { checker } = recordingChecker();
    const lines: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(line) });

    const outcome = await pushHandler(
      handle.db,
      checker,
      logger,
    )({
      source: "gitea",
      image: "gitea.example.test/acme/shop",
      tag: "dev-1",
      deliveryId: "00000000-0000-4000-8000-000000000004",
    });

    expect(outcome).toEqual({ matchedStages: 2, stagesTakingTag: undefined });
    const warnings = lines.map((line) => JSON.parse(line) as { msg: string; tag: string });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain("stored tag pattern does not compile");
    expect(warnings[0]?.tag).toBe("dev-1");
  });

  test("unmatched push checks nothing", async () => {
    const handle = database();
    await seedProject(handle);
    const { checker, calls } = recordingChecker();

    const outcome = await push(
      handle.db,
      checker,
      "gitea.example.test/acme/other",
      "dev-1",
      "00000000-0000-4000-8000-000000000002",
    );

    expect(outcome).toEqual({ matchedStages: 0, stagesTakingTag: 0 });
    expect(calls).toEqual([]);
  });
});

/** Sends one Gitea push of `image:tag` through a push handler on `db`. */
function push(
  db: Parameters<typeof pushHandler>[0],
  checker: StageChecker,
  image: string,
  tag: string,
  deliveryId: string,
) {
  return pushHandler(db, checker)({ source: "gitea", image, tag, deliveryId });
}
