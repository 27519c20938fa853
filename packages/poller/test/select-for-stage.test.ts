import type { ClaimedStage, TagPolicy } from "@berth/store";
import { describe, expect, test } from "vitest";
import { selectForStage } from "../src/registry.js";

const D = (hex: string) => `sha256:${hex.repeat(64).slice(0, 64)}`;

function stageOn(
  policy: TagPolicy,
  state: { lastTag: string; lastDigest: string },
  include: string[] = [],
): ClaimedStage {
  return {
    stageId: "stage-1",
    stageName: "dev",
    tagInclude: include,
    tagExclude: [],
    policy,
    autoDeploy: true,
    projectSlug: "shop",
    repository: "acme/shop",
    registry: {
      id: "registry-1",
      name: "local",
      type: "oci",
      url: "http://127.0.0.1:5000",
      username: null,
      tokenEncrypted: null,
      updatedAt: new Date("2026-01-01T00:00:00Z"),
    },
    state: { initialized: true, failureStreak: 0, ...state },
  };
}

/** Creates a digest lookup over a fixed tag-to-digest map that records each tag it resolves. */
function lookupOf(digests: Record<string, string>) {
  const resolved: string[] = [];
  const digestOf = async (tag: string) => {
    resolved.push(tag);
    const digest = digests[tag];
    if (digest === undefined) {
      throw new Error(`no digest for ${tag} in the test map`);
    }
    return digest;
  };
  return { digestOf, resolved };
}

describe("selectForStage on the running digest", () => {
  test.each<{ name: string; policy: TagPolicy; current: string; tag: string }>([
    { name: "semver", policy: { kind: "semver" }, current: "1.4.0", tag: "1.4.1" },
    { name: "numeric", policy: { kind: "numeric" }, current: "41", tag: "42" },
    { name: "alphabetical", policy: { kind: "alphabetical" }, current: "2026.01", tag: "2026.02" },
  ])("$name selects no higher tag on the running image", async ({ policy, current, tag }) => {
    const stage = stageOn(policy, { lastTag: current, lastDigest: D("a") });
    const { digestOf, resolved } = lookupOf({ [current]: D("a"), [tag]: D("a") });

    const selection = await selectForStage(stage, [{ name: current }, { name: tag }], digestOf);

    expect(selection.selected).toBeNull();
    expect(selection.reason).toContain(`${tag} skipped: same image as ${current}`);
    expect(resolved).toEqual([tag]);
  });

  test("newest tag on the running image is no update", async () => {
    const stage = stageOn({ kind: "newest" }, { lastTag: "9f1c2ab", lastDigest: D("a") });
    const { digestOf, resolved } = lookupOf({ "9f1c2ab": D("a"), latest: D("a") });
    const created = new Date("2026-02-01T00:00:00Z");

    const selection = await selectForStage(
      stage,
      [
        { name: "9f1c2ab", createdAt: created },
        { name: "latest", createdAt: created },
      ],
      digestOf,
    );

    expect(selection.selected).toBeNull();
    expect(selection.reason).toBe("9f1c2ab is already the newest tag");
    expect(resolved).toEqual(["latest"]);
  });

  test("new digest below a re-tag is selected", async () => {
    const stage = stageOn({ kind: "semver" }, { lastTag: "1.0.0", lastDigest: D("a") });
    const { digestOf, resolved } = lookupOf({ "1.1.0": D("b"), "1.2.0": D("a") });

    const selection = await selectForStage(
      stage,
      [{ name: "1.0.0" }, { name: "1.1.0" }, { name: "1.2.0" }],
      digestOf,
    );

    expect(selection.selected).toEqual({ tag: "1.1.0", digest: D("b") });
    expect(selection.reason).toBe(
      "1.1.0 is the highest version; 1.2.0 skipped: same image as 1.0.0",
    );
    expect(resolved).toEqual(["1.2.0", "1.1.0"]);
  });

  test("lookups stop after ten tags on the running image", async () => {
    const stage = stageOn({ kind: "numeric" }, { lastTag: "1", lastDigest: D("a") });
    const digests: Record<string, string> = { "2": D("b") };
    for (let build = 3; build <= 14; build += 1) {
      digests[String(build)] = D("a");
    }
    const { digestOf, resolved } = lookupOf(digests);
    const tags = ["1", ...Object.keys(digests)].map((name) => ({ name }));

    const selection = await selectForStage(stage, tags, digestOf);

    expect(resolved).toEqual(["14", "13", "12", "11", "10", "9", "8", "7", "6", "5"]);
    expect(selection.selected).toBeNull();
    expect(selection.reason).toBe(
      "5 and 9 higher tags point to the running digest sha256:aaaaaaaaaaaa; no update, and lower tags were not checked",
    );
  });

  test("no running digest takes the best tag", async () => {
    const stage = stageOn({ kind: "semver" }, { lastTag: "1.0.0", lastDigest: D("a") });
    stage.state.lastDigest = null;
    const { digestOf, resolved } = lookupOf({ "1.1.0": D("a") });

    const selection = await selectForStage(stage, [{ name: "1.0.0" }, { name: "1.1.0" }], digestOf);

    expect(selection.selected).toEqual({ tag: "1.1.0", digest: D("a") });
    expect(resolved).toEqual(["1.1.0"]);
  });
});
