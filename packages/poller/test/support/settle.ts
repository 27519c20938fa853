import { expect, vi } from "vitest";
import type { FakeClock } from "./fake-clock.js";

/**
 * Moves the fake clock to `target` one timer at a time, waiting after each for the running
 * poller to arm its next timer, so every wake (which reads the database) has finished.
 */
export async function advanceRunningPoller(clock: FakeClock, target: Date): Promise<void> {
  for (let next = clock.nextTimerAt(); next && next <= target; next = clock.nextTimerAt()) {
    clock.advanceTo(next);
    await vi.waitFor(() => expect(clock.pending()).toBeGreaterThan(0), { timeout: 10_000 });
  }
  clock.advanceTo(target);
}
