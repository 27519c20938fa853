import * as store from "@berth/store";
import { snapshotTables } from "@berth/testing";
import { describe, expect, test } from "vitest";
import { ENGINES, errorOf, useDatabase } from "./helpers.js";
import { fullApp, seedProject, signedIn } from "./ops-helpers.js";

/**
 * Reads every table but `sessions`: each request by the signed-in caller moves its session's
 * last-used time. A rejected request writes nothing else, not even an audit entry.
 */
const snapshot = (db: store.Database) => snapshotTables(db, store, { except: ["sessions"] });

describe.each(ENGINES)("settings validation on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function admin() {
    const handle = database();
    return signedIn(fullApp(handle), handle, "admin");
  }

  /** Sends a request that must be rejected with 422 and returns the issue at `path`. */
  async function rejectedIssue(
    call: Awaited<ReturnType<typeof admin>>,
    request: { method: string; path: string; body: unknown },
    issuePath: string,
  ) {
    const before = await snapshot(database().db);

    const response = await call(request.method, request.path, request.body);

    expect(response.status).toBe(422);
    const error = await errorOf(response);
    const issue = error.details?.issues?.find((entry) => entry.path === issuePath);
    expect(issue, `issues: ${JSON.stringify(error.details?.issues)}`).toBeDefined();
    expect(await snapshot(database().db)).toEqual(before);
    return issue?.message ?? "";
  }

  test.each([
    {
      name: "out-of-range cron",
      body: { pollCron: "61 * * * *" },
      path: "pollCron",
      parts: ['"61 * * * *"', "Invalid value for minute: 61", 'e.g. "*/5 * * * *"'],
    },
    {
      name: "cron under minimum gap",
      body: { pollCron: "*/2 * * * * *" },
      path: "pollCron",
      parts: ['"*/2 * * * * *"', "polls 2 s apart, below the minimum of 10 s"],
    },
    {
      name: "cron that never runs",
      body: { pollCron: "0 0 30 2 *" },
      path: "pollCron",
      parts: ['"0 0 30 2 *"', "matches no future time"],
    },
    {
      name: "blank cron",
      body: { pollCron: "  " },
      path: "pollCron",
      parts: ["empty cron expression: use null"],
    },
    {
      name: "unknown stage placeholder",
      body: { stageSubdomainPattern: "{nope}" },
      path: "stageSubdomainPattern",
      parts: ["unsupported placeholder {nope}", "accepts {stage}, {project}"],
    },
    {
      name: "unknown tag placeholder",
      body: { tagSubdomainPattern: "{tag}-{version}" },
      path: "tagSubdomainPattern",
      parts: ["unsupported placeholder {version}", "accepts {stage}, {project}, {tag}"],
    },
    {
      name: "misspelt key",
      body: { npm: "http://npm.example.test" },
      path: "(body)",
      parts: ['unrecognized key "npm"', 'did you mean "npmUrl"', '"pollCron"'],
    },
  ])("settings $name answers 422", async ({ body, path, parts }) => {
    const call = await admin();

    const message = await rejectedIssue(call, { method: "PATCH", path: "/settings", body }, path);

    for (const part of parts) {
      expect(message).toContain(part);
    }
  });

  test("valid cron and patterns are stored", async () => {
    const call = await admin();
    const body = {
      pollCron: "*/5 * * * *",
      stageSubdomainPattern: "{project}-{stage}",
      tagSubdomainPattern: "{tag}.{stage}-{project}",
    };

    const response = await call("PATCH", "/settings", body);

    expect(response.status).toBe(200);
    const settings = await store.getSettings(database().db);
    expect(settings.pollCron).toBe(body.pollCron);
    expect(settings.stageSubdomainPattern).toBe(body.stageSubdomainPattern);
    expect(settings.tagSubdomainPattern).toBe(body.tagSubdomainPattern);
  });

  test("stage subdomain placeholder answers 422", async () => {
    const call = await admin();
    const { project } = await seedProject(database());

    const message = await rejectedIssue(
      call,
      {
        method: "POST",
        path: "/stages",
        body: { projectId: project.id, name: "qa", policy: { kind: "newest" }, subdomain: "{tag}" },
      },
      "subdomain",
    );

    expect(message).toContain("unsupported placeholder {tag}");
    expect(message).toContain("accepts {stage}, {project}");
  });

  test("empty registry body names required fields", async () => {
    const call = await admin();

    const before = await snapshot(database().db);
    const response = await call("POST", "/registries", {});

    expect(response.status).toBe(422);
    const issues = (await errorOf(response)).details?.issues ?? [];
    const url = issues.find((issue) => issue.path === "url");
    expect(url?.message).toBe("required, but missing: expected an http:// or https:// URL");
    const name = issues.find((issue) => issue.path === "name");
    expect(name?.message).toBe("required, but missing: expected string");
    expect(JSON.stringify(issues)).not.toContain("undefined");
    expect(await snapshot(database().db)).toEqual(before);
  });
});
