import { once } from "node:events";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { lockDataDir } from "../src/data-dir-lock.js";
import { runBerth, spawnBerth } from "./cli-helpers.js";

const KEY = Buffer.alloc(32, 1).toString("base64");

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), "berth-startup-"));
  await writeFile(path.join(folder, "plain-file"), "not a folder\n");
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("data directory creation", () => {
  // mkdir under /proc fails with ENOENT although /proc exists, which made Node's recursive
  // mkdir retry forever.
  test.each([
    {
      dataDir: "/proc/berth-nope",
      message:
        "cannot create the data directory /proc/berth-nope: /proc exists but accepts no new folders (ENOENT). Set BERTH_DATA_DIR to a writable folder",
    },
    {
      dataDir: "/proc/berth-nope/data",
      message:
        "cannot create the data directory /proc/berth-nope/data: /proc exists but accepts no new folders (ENOENT). Set BERTH_DATA_DIR to a writable folder",
    },
  ])("rejects $dataDir without hanging", async ({ dataDir, message }) => {
    await expect(lockDataDir(dataDir)).rejects.toThrow(message);
  });

  test("rejects a data directory that is a file", async () => {
    const file = path.join(folder, "plain-file");

    await expect(lockDataDir(file)).rejects.toThrow(
      `BERTH_DATA_DIR is ${file}, which is a file, not a folder: set BERTH_DATA_DIR to a folder, or move the file away`,
    );
  });

  test("rejects a data directory inside a file", async () => {
    const dataDir = path.join(folder, "plain-file", "data");

    await expect(lockDataDir(dataDir)).rejects.toThrow(
      `cannot create the data directory ${dataDir}: one of its parents is a file, not a folder (ENOTDIR). Set BERTH_DATA_DIR to a writable folder`,
    );
  });

  test("rejects a folder that takes no lock file", async () => {
    await expect(lockDataDir("/proc/self")).rejects.toThrow(
      "cannot write the lock file /proc/self/berth.lock: no such file or directory (ENOENT). Let the user Berth runs as write to /proc/self, or set BERTH_DATA_DIR to a writable folder",
    );
  });

  test("creates missing parents and takes the lock", async () => {
    const dataDir = path.join(folder, "a", "b", "data");

    const unlock = await lockDataDir(dataDir);
    const entries = await readdir(dataDir);
    await unlock();

    expect(entries).toEqual(["berth.lock"]);
    expect(await readdir(dataDir)).toEqual([]);
  });
});

// Each test starts a `berth` process from the sources, which takes a few seconds to load.
describe("berth serve start-up errors", { timeout: 60_000 }, () => {
  test("unwritable data directory exits with one line", async () => {
    const result = await runBerth(["serve"], { BERTH_DATA_DIR: "/proc/berth-nope" }, 30_000);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "berth serve: cannot create the data directory /proc/berth-nope: /proc exists but accepts no new folders (ENOENT). Set BERTH_DATA_DIR to a writable folder\n",
    );
  });

  test.each([
    { variable: "BERTH_ADMIN_PASSWORD", value: "short" },
    { variable: "BERTH_DOCKER_HOST", value: "http://foo" },
    { variable: "BERTH_LOG_LEVEL", value: "verbose" },
  ])("rejected $variable leaves no data folder", async ({ variable, value }) => {
    const dataDir = path.join(folder, `rejected-${variable}`);

    const result = await runBerth(
      ["serve"],
      { BERTH_DATA_DIR: dataDir, [variable]: value },
      30_000,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^berth serve: ${variable} is `));
    await expect(readdir(dataDir)).rejects.toThrow("ENOENT");
  });

  test("SIGTERM ends a start that hangs", async () => {
    // A Postgres stand-in that accepts connections and never responds, so the start waits
    // for the database until its 10 s connect timeout.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const connected = once(silent, "connection");

    const child = spawnBerth(["serve"], {
      DATABASE_URL: `postgres://berth@127.0.0.1:${port}/berth`,
      BERTH_SECRET_KEY: KEY,
      BERTH_SHUTDOWN_TIMEOUT_SECONDS: "1",
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const exited = once(child, "exit") as Promise<[number | null]>;
    await connected;
    const signalled = Date.now();
    child.kill("SIGTERM");
    const [code] = await exited;
    const elapsedMs = Date.now() - signalled;
    for (const socket of sockets) {
      socket.destroy();
    }
    silent.close();

    expect(code).toBe(1);
    expect(stderr).toBe(
      "berth serve: start-up timed out 1 s after SIGTERM (BERTH_SHUTDOWN_TIMEOUT_SECONDS), so Berth exits without closing the database: check that DATABASE_URL or BERTH_DATA_DIR is reachable\n",
    );
    expect(elapsedMs).toBeLessThan(5000);
  });
});
