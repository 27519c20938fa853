import { randomBytes } from "node:crypto";
import {
  ConfigFileError,
  createProject,
  createRegistry,
  createSecrets,
  importConfig,
  listProjects,
  listStages,
  updateSettings,
} from "@berth/store";
import { describe, expect, test } from "vitest";
import { resourceRoutes } from "../src/resources/index.js";
import { tagPatternProblem } from "../src/resources/stage-checks.js";
import { authApp, login } from "./auth-helpers.js";
import { ENGINES, errorOf, json, seedUser, useDatabase } from "./helpers.js";

const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);

type Stage = { id: string; policy: unknown; volumes: Array<{ source: string }> };

describe.each(ENGINES)("stage checks on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  async function setup() {
    const handle = database();
    await handle.db.execute("truncate registries cascade");
    await updateSettings(handle.db, secrets, { volumeAllowList: ["/srv/berth"] });
    await seedUser(handle, "root", "operator");
    const app = authApp(handle.db);
    app.route("/api/v1", resourceRoutes({ db: handle.db, secrets }));
    const cookie = await login(app, "root");
    const call = (method: string, path: string, body: unknown) =>
      app.request(`/api/v1${path}`, {
        method,
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    // The registry and project come from the store, so these tests depend only on the stage routes.
    const registry = await createRegistry(handle.db, secrets, {
      name: "local",
      type: "oci",
      url: "http://127.0.0.1:5000",
    });
    const project = await createProject(handle.db, {
      slug: "shop",
      name: "Shop",
      registryId: registry.id,
      repository: "acme/shop",
    });
    return { db: handle.db, call, projectId: project.id };
  }

  test("invalid extract on create gives 422", async () => {
    const { db, call, projectId } = await setup();

    const response = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "numeric", extract: "^dev-(" },
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["policy.extract"]);
    expect(error.message).toContain('invalid extract expression "^dev-("');
    expect(await listStages(db, projectId)).toEqual([]);
  });

  test("extract with two groups gives 422", async () => {
    const { call, projectId } = await setup();

    const response = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "numeric", extract: "^(dev)-(\\d+)$" },
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.[0]?.path).toBe("policy.extract");
    expect(error.message).toContain("has 2 capture groups: use exactly one");
  });

  test("host volume outside allow-list gives 422", async () => {
    const { db, call, projectId } = await setup();

    const response = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "newest" },
      volumes: [
        { kind: "named", source: "cache", target: "/cache" },
        { kind: "shared", source: "/etc", target: "/data" },
      ],
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual(["volumes.1.source"]);
    expect(error.message).toContain(
      "volume host path /etc is outside the allowed folders (/srv/berth): add its folder to the volume allow-list in settings",
    );
    expect(await listStages(db, projectId)).toEqual([]);
  });

  test("bad patch leaves stage unchanged", async () => {
    const { db, call, projectId } = await setup();
    const created = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "numeric", extract: "^build-(\\d+)$" },
      volumes: [
        { kind: "isolated", source: "/srv/berth/shop", target: "/data" },
        { kind: "named", source: "cache", target: "/cache" },
      ],
    });
    const { stage } = await json<{ stage: Stage }>(created);
    const before = await listStages(db, projectId);

    const badPolicy = await call("PATCH", `/stages/${stage.id}`, {
      policy: { kind: "numeric", extract: "^dev-(" },
    });
    const badVolume = await call("PATCH", `/stages/${stage.id}`, {
      volumes: [{ kind: "isolated", source: "/srv/berth/../etc", target: "/data" }],
    });

    expect(created.status).toBe(201);
    expect(badPolicy.status).toBe(422);
    expect((await errorOf(badPolicy)).details?.issues?.[0]?.path).toBe("policy.extract");
    expect(badVolume.status).toBe(422);
    expect((await errorOf(badVolume)).details?.issues?.[0]?.path).toBe("volumes.0.source");
    expect(await listStages(db, projectId)).toEqual(before);
  });

  test.each([
    [
      "tagInclude",
      ["v*", "dev-[*"],
      "tagInclude.1",
      '"dev-[*": "[" at position 5 has no closing "]"',
    ],
    ["tagInclude", ["dev-*,"], "tagInclude.0", '"dev-*,": tags contain no ","'],
    ["tagInclude", [" dev-*"], "tagInclude.0", '" dev-*": remove the whitespace around it'],
    ["tagExclude", ["*-rc*", "v1:*"], "tagExclude.1", '"v1:*": tags contain no ":"'],
  ])("%s %j gives 422", async (field, patterns, path, message) => {
    const { db, call, projectId } = await setup();

    const response = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "newest" },
      [field]: patterns,
    });
    const error = await errorOf(response);

    expect(response.status).toBe(422);
    expect(error.details?.issues?.map((issue) => issue.path)).toEqual([path]);
    expect(error.message).toContain(`invalid request: ${path}: invalid`);
    expect(error.message).toContain(message);
    expect(await listStages(db, projectId)).toEqual([]);
  });

  test("bad pattern patch leaves stage unchanged", async () => {
    const { db, call, projectId } = await setup();
    const created = await call("POST", "/stages", {
      projectId,
      name: "dev",
      policy: { kind: "newest" },
      tagInclude: ["dev-*", "@(main|next)-*", "*-{alpine,slim}"],
      tagExclude: ["*-rc*"],
    });
    const { stage } = await json<{ stage: Stage }>(created);
    const before = await listStages(db, projectId);

    const response = await call("PATCH", `/stages/${stage.id}`, { tagExclude: ["*-rc*,"] });

    expect(created.status).toBe(201);
    expect(response.status).toBe(422);
    expect((await errorOf(response)).details?.issues?.[0]?.path).toBe("tagExclude.0");
    expect(await listStages(db, projectId)).toEqual(before);
  });

  test("import rejects bad tag patterns", async () => {
    const { db } = await setup();
    const text = [
      "projects:",
      "  - slug: web",
      "    registry: local",
      "    repository: acme/web",
      "    stages:",
      '      - { name: dev, policy: { kind: newest }, tags: { include: ["dev-[*", " dev-*"] } }',
      "",
    ].join("\n");

    const error = await importConfig(db, secrets, {
      text,
      file: "berth.yaml",
      env: {},
      checkTagPattern: tagPatternProblem,
    }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(ConfigFileError);
    expect((error as ConfigFileError).problems).toEqual([
      'projects[0].stages[0].tags.include[0]: invalid include pattern "dev-[*": "[" at position 5 has no closing "]": close the class, e.g. [0-9]',
      'projects[0].stages[0].tags.include[1]: invalid include pattern " dev-*": remove the whitespace around it',
    ]);
    expect((await listProjects(db)).map((project) => project.slug)).toEqual(["shop"]);
  });
});
