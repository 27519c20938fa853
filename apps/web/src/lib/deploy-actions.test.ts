import { describe, expect, test } from "vitest";
import { availableActions } from "./deploy-actions.js";
import { aDeploy } from "./test-data.js";

const names = (status: Parameters<typeof aDeploy>[0], target: string | null = null) =>
  availableActions(aDeploy(status), target).map((info) => info.action);

describe("availableActions", () => {
  test.each([
    ["pending_approval", ["approve", "reject"]],
    ["queued", ["cancel"]],
    ["running", []],
    ["succeeded", ["redeploy", "rollback"]],
    ["failed", ["redeploy"]],
    ["rolled_back", ["redeploy"]],
  ] as const)("offers the right actions when %s", (status, expected) => {
    expect(names({ status })).toEqual(expected);
  });

  test("offers promote when a stage promotes from this one", () => {
    expect(names({ status: "succeeded" }, "prod")).toContain("promote");
  });

  test("asks before every destructive action", () => {
    for (const status of ["pending_approval", "running", "succeeded"] as const) {
      for (const info of availableActions(aDeploy({ status }), "prod")) {
        expect(info.confirm !== undefined).toBe(info.action !== "approve");
      }
    }
  });
});
