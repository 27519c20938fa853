import { getEventListeners } from "node:events";
import { describe, expect, test } from "vitest";
import { linkAbort } from "../src/abort-link.js";

/**
 * Counts the entries `AbortSignal.any` left on `signal`, in the set Node keeps under an
 * internal symbol. A Node without that set keeps no entries, so the count is 0 there.
 */
function combinedEntries(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find(
    (symbol) => symbol.description === "kDependantSignals",
  );
  const entries: unknown = key ? Reflect.get(signal, key) : undefined;
  // The set comes from Node's own realm, not the test's, so `instanceof Set` is false.
  const size: unknown = typeof entries === "object" && entries ? Reflect.get(entries, "size") : 0;
  return typeof size === "number" ? size : 0;
}

describe("linkAbort", () => {
  test("aborts with parent reason", () => {
    const parent = new AbortController();
    const link = linkAbort(parent.signal);
    parent.abort(new Error("poller stopped"));
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toEqual(new Error("poller stopped"));
  });

  test("starts aborted under aborted parent", () => {
    const parent = new AbortController();
    parent.abort("stopped");
    expect(linkAbort(parent.signal).signal.reason).toBe("stopped");
  });

  test("ignores parent after release", () => {
    const parent = new AbortController();
    const link = linkAbort(parent.signal);
    link.release();
    parent.abort();
    expect(link.signal.aborted).toBe(false);
  });

  test("leaves parent clean after 2000 checks", () => {
    const parent = new AbortController();
    for (let check = 0; check < 2000; check += 1) {
      const link = linkAbort(parent.signal);
      AbortSignal.any([link.signal, new AbortController().signal]);
      link.release();
    }
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);
    expect(combinedEntries(parent.signal)).toBe(0);
  });

  test("direct combination grows the parent", () => {
    // The Node behaviour the link works around. When a Node release drops it, this test
    // fails and the link can go.
    const parent = new AbortController();
    for (let request = 0; request < 2000; request += 1) {
      AbortSignal.any([parent.signal, new AbortController().signal]);
    }
    expect(combinedEntries(parent.signal)).toBe(2000);
  });
});
