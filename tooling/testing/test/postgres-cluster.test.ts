import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startPostgresCluster, type TestPostgresCluster } from "../src/postgres-cluster.js";

describe("throwaway Postgres cluster", () => {
  let cluster: TestPostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  test("serves its own port, not 5432", async () => {
    expect(cluster.port).not.toBe(5432);
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<Array<{ port: string }>>`select current_setting('port') as port`;
      expect(row?.port).toBe(String(cluster.port));
    } finally {
      await sql.end();
    }
  });

  test("keeps its data across a restart", async () => {
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table kept (value text)`;
      await sql`insert into kept values ('before restart')`;

      let refused: unknown;
      await cluster.restart({
        whileDown: () => sql`select 1`.catch((error: unknown) => (refused = error)),
      });
      expect((refused as { code?: string }).code).toBe("ECONNREFUSED");
      const rows = await sql<Array<{ value: string }>>`select value from kept`;
      expect(rows.map((row) => row.value)).toEqual(["before restart"]);
    } finally {
      await sql.end();
    }
  });

  test("closes open connections on restart", async () => {
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const [before] = await sql<Array<{ pid: number }>>`select pg_backend_pid() as pid`;
      await cluster.restart();
      const [after] = await sql<Array<{ pid: number }>>`select pg_backend_pid() as pid`;
      expect(after?.pid).not.toBe(before?.pid);
    } finally {
      await sql.end();
    }
  });
});
