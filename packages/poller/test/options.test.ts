import type { Database } from "@berth/store";
import { describe, expect, test } from "vitest";
import { createPoller, PollerError, type PollerOptions } from "../src/index.js";

const db = { transaction: () => Promise.resolve() } as unknown as Database;

describe("createPoller options", () => {
  test.each([
    {
      options: { db: undefined },
      message:
        "createPoller: option db must be the store's database (openDatabase(...).db), got undefined",
    },
    {
      options: { db, leaseSeconds: 0 },
      message: "createPoller: option leaseSeconds must be a positive number of seconds, got 0",
    },
    {
      options: { db, requestTimeoutSeconds: Number.NaN },
      message:
        "createPoller: option requestTimeoutSeconds must be a positive number of seconds, got NaN",
    },
    {
      options: { db, imageConcurrency: 2.5 },
      message:
        "createPoller: option imageConcurrency must be a whole number from 1 to 256, got 2.5",
    },
    {
      options: { db, onCandidate: "queue" },
      message: 'createPoller: option onCandidate must be a function, got "queue"',
    },
    {
      options: { db, owner: "" },
      message: 'createPoller: option owner must be a non-empty string, got ""',
    },
  ])("rejects $message", ({ options, message }) => {
    const create = () => createPoller(options as unknown as PollerOptions);

    expect(create).toThrow(PollerError);
    expect(create).toThrow(message);
  });

  test("accepts the defaults", () => {
    const poller = createPoller({ db });

    expect(poller.counters()).toEqual({
      cycles: 0,
      stagesPolled: 0,
      candidates: 0,
      errors: 0,
      rateLimited: 0,
      leasesLost: 0,
    });
    expect(poller.lastSummary()).toBeUndefined();
  });
});

describe("stage ids", () => {
  const poller = createPoller({ db });

  test.each([
    { stageIds: ["shop/dev"], message: 'stage id "shop/dev" is not a UUID' },
    { stageIds: [42], message: "stage id 42 is not a UUID" },
    { stageIds: "abc", message: "stage ids must be an array of stage UUIDs, got string" },
  ])("checkStages rejects $stageIds", async ({ stageIds, message }) => {
    const check = poller.checkStages(stageIds as unknown as string[]);

    await expect(check).rejects.toThrow(PollerError);
    await expect(check).rejects.toThrow(`checkStages: ${message}`);
  });

  test("pollNow rejects a stage name", async () => {
    await expect(poller.pollNow("dev")).rejects.toThrow(
      'pollNow: stage id "dev" is not a UUID; pass the id of a stage row',
    );
  });
});

test("checkStages rejects an unknown trigger", async () => {
  const poller = createPoller({ db });
  const check = poller.checkStages([], { trigger: "cron" as "poll" });

  await expect(check).rejects.toThrow(
    'checkStages: trigger must be "webhook" or "poll", got "cron"',
  );
});

test("busyRetries accepts zero and rejects negatives", () => {
  expect(() => createPoller({ db, busyRetries: 0 })).not.toThrow();
  expect(() => createPoller({ db, busyRetries: -1 })).toThrow(
    "createPoller: option busyRetries must be a whole number from 0 to 256, got -1",
  );
});
