import { expect, test } from "vitest";
import { isRegistryError, type Registry } from "../../src/index.js";

/** What the shared suite needs from one registry setup. */
export interface SuiteTarget {
  registry: Registry;
  /** The name the client is asked for, from a lower-case `owner/name`. */
  name(repository: string): string;
  /** Pushes `tag` to the lower-case `repository` and returns the digest it points to. */
  push(
    repository: string,
    tag: string,
    options?: { content?: string; format?: "oci" | "docker" | "index" },
  ): Promise<string>;
}

/**
 * The behaviour every client must show against a real server. Each call registers tests in
 * the current `describe`; `target()` is read inside the tests, after `beforeAll` set it up.
 */
export function registryBehaviourSuite(target: () => SuiteTarget): void {
  test("lists every tag across pages", async () => {
    const { registry, name, push } = target();
    const tags = ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0-rc.1", "latest", "v3"];
    for (const tag of tags) {
      await push("suite/paged", tag);
    }

    const listed = await registry.listTags(name("suite/paged"));

    expect(listed.map((tag) => tag.name).sort()).toEqual([...tags].sort());
  });

  test("resolves a tag digest", async () => {
    const { registry, name, push } = target();
    const digest = await push("suite/digest", "1.0.0", { content: "digest" });

    expect(await registry.getDigest(name("suite/digest"), "1.0.0")).toBe(digest);
  });

  test.each(["docker", "index"] as const)("resolves %s manifest digest", async (format) => {
    const { registry, name, push } = target();
    const digest = await push("suite/formats", format, { format, content: format });

    expect(await registry.getDigest(name("suite/formats"), format)).toBe(digest);
  });

  test("sees a re-pushed mutable tag", async () => {
    const { registry, name, push } = target();
    const first = await push("suite/mutable", "latest", { content: "first" });
    const second = await push("suite/mutable", "latest", { content: "second" });

    const digest = await registry.getDigest(name("suite/mutable"), "latest");

    expect(second).not.toBe(first);
    expect(digest).toBe(second);
  });

  test("getLatestTag picks highest release", async () => {
    const { registry, name, push } = target();
    await push("suite/latest", "1.0.0");
    const expected = await push("suite/latest", "1.1.0");
    await push("suite/latest", "2.0.0-rc.1");

    const selection = await registry.getLatestTag(name("suite/latest"), {
      policy: { kind: "semver" },
      current: "1.0.0",
    });

    expect(selection.selected).toBe("1.1.0");
    expect(selection.digest).toBe(expected);
    expect(selection.reason).toBe("1.1.0 is the highest version; 2.0.0-rc.1 skipped: pre-release");
  });

  test("digest policy reports moved tag", async () => {
    const { registry, name, push } = target();
    const running = await push("suite/watch", "stable", { content: "old" });
    const moved = await push("suite/watch", "stable", { content: "new" });

    const selection = await registry.getLatestTag(name("suite/watch"), {
      policy: { kind: "digest" },
      current: "stable",
      currentDigest: running,
    });

    expect(selection.selected).toBe("stable");
    expect(selection.digest).toBe(moved);
  });

  test("unknown repository is not_found", async () => {
    const { registry, name } = target();

    const error = await registry.listTags(name("suite/missing")).catch((caught: unknown) => caught);

    expect(isRegistryError(error, "not_found")).toBe(true);
    expect(String(error)).toContain(`has no ${name("suite/missing").toLowerCase()}`);
  });

  test("unknown tag is not_found", async () => {
    const { registry, name, push } = target();
    await push("suite/notag", "1.0.0");

    const error = await registry
      .getDigest(name("suite/notag"), "9.9.9")
      .catch((caught: unknown) => caught);

    expect(isRegistryError(error, "not_found")).toBe(true);
    expect(String(error)).toContain(`has no tag 9.9.9 in ${name("suite/notag").toLowerCase()}`);
  });

  test("checkAccess succeeds", async () => {
    const result = await target().registry.checkAccess();

    expect(result.ok).toBe(true);
  });

  test("reuses connections", async () => {
    const { registry, name, push } = target();
    await push("suite/reuse", "1.0.0");
    const before = registry.stats();

    for (let round = 0; round < 20; round += 1) {
      await registry.getDigest(name("suite/reuse"), "1.0.0");
    }

    const after = registry.stats();
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(20);
    expect(after.connections - before.connections).toBeLessThanOrEqual(1);
  });
}
