import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Takes `<data dir>/berth.lock` for this process. PGlite has no lock of its own, and two
 * processes writing one data directory corrupt it, so a second Berth on the same directory
 * must stop before it opens the database. A lock left by a process that no longer runs is
 * taken over. Returns the function that releases the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, "berth.lock");
  await mkdir(dataDir, { recursive: true });

  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: "wx" });
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw error;
      }
    }

    const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
      throw new Error(
        `the data directory ${dataDir} is in use by process ${owner}: stop that Berth first, or set BERTH_DATA_DIR to another folder`,
      );
    }
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`cannot lock the data directory ${dataDir}: remove ${file} if no Berth runs`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
