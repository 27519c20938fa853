import { sessions } from "@berth/store";
import { describe, expect, test } from "vitest";
import { authApp, login } from "./auth-helpers.js";
import { ENGINES, seedUser, useDatabase } from "./helpers.js";

describe.each(ENGINES)("session expiry on $engine", ({ engine }) => {
  const database = useDatabase(engine);

  test("login deletes expired sessions", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    await seedUser(handle, "bob", "viewer");
    let clock = new Date("2026-01-01T00:00:00Z");
    const app = authApp(handle.db, { now: () => clock, sessionTtlSeconds: 3600 });
    await login(app, "alice");
    await login(app, "alice");

    clock = new Date("2026-01-01T02:00:00Z");
    await login(app, "bob");
    const rows = await handle.db.select().from(sessions);

    expect(rows).toHaveLength(1);
    expect(rows[0]?.expiresAt.toISOString()).toBe("2026-01-01T03:00:00.000Z");
  });

  test("login keeps unexpired sessions", async () => {
    const handle = database();
    await seedUser(handle, "alice", "viewer");
    let clock = new Date("2026-01-01T00:00:00Z");
    const app = authApp(handle.db, { now: () => clock, sessionTtlSeconds: 3600 });
    await login(app, "alice");

    clock = new Date("2026-01-01T00:30:00Z");
    await login(app, "alice");
    const rows = await handle.db.select().from(sessions);

    expect(rows).toHaveLength(2);
  });
});
