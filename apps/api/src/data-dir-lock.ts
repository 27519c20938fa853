import { mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Takes `<data dir>/berth.lock` for this process. PGlite has no lock of its own, and two
 * processes writing one data directory corrupt it, so a second Berth on the same directory
 * must stop before it opens the database. A lock left by a process that no longer runs is
 * taken over. Returns the function that releases the lock.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, "berth.lock");
  await createDataDir(dataDir);

  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: "wx" });
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if (errorCode(error) !== "EEXIST") {
        throw new Error(
          `cannot write the lock file ${file}: ${systemReason(error)}. Let the user Berth runs as write to ${dataDir}, or set BERTH_DATA_DIR to a writable folder`,
          { cause: error },
        );
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

/**
 * Creates the data directory and its missing parents, with an error that names the folder and
 * the fix. Node's `mkdir(…, { recursive: true })` never settles when mkdir fails with ENOENT
 * although the parent exists, as for a path under /proc (seen on Node 20.20.2), so this walk
 * tries each folder at most twice.
 */
async function createDataDir(dataDir: string): Promise<void> {
  try {
    await createFolder(dataDir);
  } catch (error) {
    if (errorCode(error) === "EEXIST") {
      throw new Error(
        `BERTH_DATA_DIR is ${dataDir}, which is a file, not a folder: set BERTH_DATA_DIR to a folder, or move the file away`,
        { cause: error },
      );
    }
    throw new Error(
      `cannot create the data directory ${dataDir}: ${creationReason(dataDir, error)}. Set BERTH_DATA_DIR to a writable folder`,
      { cause: error },
    );
  }
}

/**
 * Creates `folder` and its missing parents. Rejects with EEXIST when a file that is not a
 * folder has that name. After creating the parents, a second ENOENT is final.
 */
async function createFolder(folder: string, retry = true): Promise<void> {
  try {
    await mkdir(folder);
  } catch (error) {
    const code = errorCode(error);
    if (code === "EEXIST" && (await stat(folder)).isDirectory()) {
      return;
    }
    const parent = path.dirname(folder);
    if (code !== "ENOENT" || parent === folder || !retry) {
      throw error;
    }
    await createFolder(parent);
    await createFolder(folder, false);
  }
}

/** Explains a failed mkdir of the data directory in words the user can act on. */
function creationReason(dataDir: string, error: unknown): string {
  switch (errorCode(error)) {
    case "ENOENT":
      return `${path.dirname(failedPath(error) ?? dataDir)} exists but accepts no new folders (ENOENT)`;
    case "ENOTDIR":
      return "one of its parents is a file, not a folder (ENOTDIR)";
    default:
      return systemReason(error);
  }
}

/** Turns "EACCES: permission denied, mkdir '/x'" into "permission denied (EACCES)". */
function systemReason(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const text = /^[A-Z]+: ([^,]+),/.exec(message)?.[1] ?? message;
  return code ? `${text} (${code})` : text;
}

function failedPath(error: unknown): string | undefined {
  const failed = (error as NodeJS.ErrnoException | undefined)?.path;
  return typeof failed === "string" ? failed : undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : undefined;
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
