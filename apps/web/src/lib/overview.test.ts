import { describe, expect, test } from "vitest";
import { summariseStage, upsert } from "./overview.js";
import { aDeploy, anInstance, aStage } from "./test-data.js";

const stage = aStage();
const at = (minute: number) => `2026-12-01T10:${String(minute).padStart(2, "0")}:00.000Z`;

describe("summariseStage", () => {
  test.each([
    [
      "deploying while one runs",
      [aDeploy({ status: "running", createdAt: at(2) })],
      [anInstance()],
      "deploying",
    ],
    [
      "waiting for approval",
      [aDeploy({ status: "pending_approval", createdAt: at(2) })],
      [anInstance()],
      "waiting_for_approval",
    ],
    [
      "failed after a rollback",
      [
        aDeploy({ status: "rolled_back", createdAt: at(2) }),
        aDeploy({ id: "d0", createdAt: at(1) }),
      ],
      [anInstance()],
      "failed",
    ],
    [
      "up to date with a running instance",
      [aDeploy({ createdAt: at(1) })],
      [anInstance()],
      "up_to_date",
    ],
    [
      "up to date after a rejected candidate",
      [aDeploy({ status: "rejected", createdAt: at(3) }), aDeploy({ id: "d0", createdAt: at(1) })],
      [anInstance()],
      "up_to_date",
    ],
    ["not deployed without instances", [], [], "not_deployed"],
  ] as const)("reads %s", (_case, deploys, instances, state) => {
    expect(summariseStage(stage, [...deploys], [...instances]).state).toBe(state);
  });

  test("ignores other stages and removed instances", () => {
    const summary = summariseStage(
      stage,
      [aDeploy({ stageId: "other", status: "running" })],
      [anInstance({ status: "removed" }), anInstance({ id: "i2", stageId: "other" })],
    );
    expect(summary.state).toBe("not_deployed");
    expect(summary.instances).toEqual([]);
  });

  test("lists the newest pending candidate", () => {
    const summary = summariseStage(
      stage,
      [
        aDeploy({ id: "old", status: "pending_approval", createdAt: at(1) }),
        aDeploy({ id: "new", status: "pending_approval", createdAt: at(5) }),
      ],
      [],
    );
    expect(summary.pending?.id).toBe("new");
    expect(summary.latest?.id).toBe("new");
  });
});

describe("upsert", () => {
  test("replaces by id and adds new items first", () => {
    const items = [
      { id: "a", n: 1 },
      { id: "b", n: 2 },
    ];
    expect(upsert(items, { id: "b", n: 3 })).toEqual([
      { id: "a", n: 1 },
      { id: "b", n: 3 },
    ]);
    expect(upsert(items, { id: "c", n: 4 })[0]).toEqual({ id: "c", n: 4 });
  });
});
