/**
 * Measures what `/events` costs the database: one read of the changed deploys, instances and
 * poll errors, as every Berth process with listeners does once a second, on a database with
 * many old deploys. Run: node --conditions=@berth/source --import tsx bench/events-read.ts
 */

import { randomBytes } from "node:crypto";
import os from "node:os";
import {
  createProject,
  createRegistry,
  createSecrets,
  createStage,
  deploys,
  instances,
  openDatabase,
} from "@berth/store";
import { createTestDatabase, testServerUrl } from "@berth/testing";
import { sql } from "drizzle-orm";
import { readChanges } from "../src/events/changes.js";

const ROWS = Number(process.env.EVENTS_BENCH_ROWS ?? 100_000);
const READS = 50;

const server = testServerUrl() ?? "postgres://postgres@127.0.0.1:5432/test";
const database = await createTestDatabase(server);
const handle = await openDatabase({ url: database.url, dataDir: "memory://" });
try {
  await handle.migrate();
  const secrets = createSecrets([{ version: 1, key: randomBytes(32) }]);
  const registry = await createRegistry(handle.db, secrets, {
    name: "r",
    type: "oci",
    url: "http://127.0.0.1:1",
  });
  const project = await createProject(handle.db, {
    slug: "p",
    name: "p",
    registryId: registry.id,
    repository: "a/b",
  });
  const stage = await createStage(handle.db, secrets, {
    projectId: project.id,
    name: "dev",
    policy: { kind: "semver" },
  });

  // Old history: finished a day ago, so no read returns it.
  await handle.db.execute(sql`
    insert into ${deploys} (stage_id, tag, digest, trigger, status, created_at, updated_at)
    select ${stage.id}, 't' || g, null, 'manual', 'succeeded', now() - interval '1 day', now() - interval '1 day'
    from generate_series(1, ${ROWS}) g`);
  await handle.db.execute(sql`
    insert into ${instances} (stage_id, container_name, tag, digest, status, created_at, updated_at)
    select ${stage.id}, 'c' || g, 't', 'sha256:00', 'removed', now() - interval '1 day', now() - interval '1 day'
    from generate_series(1, ${ROWS}) g`);
  await handle.db.execute(sql`analyze`);

  const withoutIndex = await measure(handle.db);
  // The schema has no index on updated_at; this shows what one would change.
  await handle.db.execute(sql`create index on ${deploys} (updated_at)`);
  await handle.db.execute(sql`create index on ${instances} (updated_at)`);
  await handle.db.execute(sql`analyze`);
  const withIndex = await measure(handle.db);
  process.stdout.write(
    `${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}, ${READS} reads over ${ROWS} deploys and ${ROWS} instances: median ${withoutIndex.median.toFixed(2)} ms (p95 ${withoutIndex.p95.toFixed(2)}) as the schema is; ${withIndex.median.toFixed(2)} ms (p95 ${withIndex.p95.toFixed(2)}) with updated_at indexes; ratio ${(withoutIndex.median / withIndex.median).toFixed(1)}\n`,
  );
} finally {
  await handle.close();
  await database.drop();
}

async function measure(db: typeof handle.db): Promise<{ median: number; p95: number }> {
  const times: number[] = [];
  for (let index = 0; index < READS; index += 1) {
    const started = performance.now();
    await readChanges(db, new Date(Date.now() - 6000));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)] ?? 0,
    p95: times[Math.floor(times.length * 0.95)] ?? 0,
  };
}
