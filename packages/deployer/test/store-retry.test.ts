import { StoreError } from "@berth/store";
import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { failureRun, retryWhileUnreachable } from "../src/pipeline/store-retry.js";

/** A pino logger that keeps each line's level and message. */
function recordingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
  );
  return { logger, lines };
}

/** The error drizzle throws when postgres.js finds the server gone. */
function refused(): Error {
  return new Error("Failed query: update deploys", {
    cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    }),
  });
}

describe("retryWhileUnreachable", () => {
  test("retries until the database is back", async () => {
    const { logger, lines } = recordingLogger();
    let attempts = 0;

    const result = await retryWhileUnreachable(
      async () => {
        attempts += 1;
        if (attempts < 3) throw refused();
        return "written";
      },
      { logger, what: "finish deploy d1", intervalMs: 10 },
    );

    expect(result).toBe("written");
    expect(attempts).toBe(3);
    expect(lines.map((line) => line.msg)).toEqual([
      "database unreachable; retrying the write",
      "database write succeeded",
    ]);
  });

  test("throws other errors at once", async () => {
    const { logger } = recordingLogger();
    let attempts = 0;
    const conflict = new StoreError("duplicate key", { kind: "unique_violation" });

    const write = retryWhileUnreachable(
      async () => {
        attempts += 1;
        throw conflict;
      },
      { logger, what: "finish deploy d1", intervalMs: 10 },
    );

    await expect(write).rejects.toBe(conflict);
    expect(attempts).toBe(1);
  });

  test("gives up after the maximum wait", async () => {
    const { logger } = recordingLogger();
    let attempts = 0;

    const write = retryWhileUnreachable(
      async () => {
        attempts += 1;
        throw refused();
      },
      { logger, what: "finish deploy d1", intervalMs: 10, maxWaitMs: 50 },
    );

    await expect(write).rejects.toThrow("Failed query: update deploys");
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(6);
  });
});

describe("failureRun", () => {
  test("warns once per run of failures", () => {
    const { logger, lines } = recordingLogger();
    const run = failureRun(logger, "claiming deploys");

    run.failed(refused());
    run.failed(refused());
    run.succeeded();
    run.succeeded();

    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, "claiming deploys failed; retrying"],
      [20, "claiming deploys failed again"],
      [30, "claiming deploys works again"],
    ]);
    expect(lines[0]).toMatchObject({ error: "connect ECONNREFUSED 127.0.0.1:5432" });
  });
});
