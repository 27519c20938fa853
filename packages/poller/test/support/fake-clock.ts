import type { Clock } from "../../src/index.js";

interface Timer {
  id: number;
  at: number;
  callback: () => void;
}

/** A clock whose time moves only when a test advances it; timers fire in time order. */
export class FakeClock implements Clock {
  private time: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start: Date) {
    this.time = start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer = { id: this.nextId, at: this.time + Math.max(0, delayMs), callback };
    this.nextId += 1;
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Timers not yet fired. */
  pending(): number {
    return this.timers.length;
  }

  /** When the earliest pending timer fires, if any. */
  nextTimerAt(): Date | undefined {
    const next = this.earliest();
    return next ? new Date(next.at) : undefined;
  }

  /** Moves time to `target`, firing each timer due on the way at its own time. */
  advanceTo(target: Date): void {
    for (let next = this.earliest(); next && next.at <= target.getTime(); next = this.earliest()) {
      this.time = Math.max(this.time, next.at);
      this.clearTimeout(next.id);
      next.callback();
    }
    this.time = Math.max(this.time, target.getTime());
  }

  advanceBy(ms: number): void {
    this.advanceTo(new Date(this.time + ms));
  }

  private earliest(): Timer | undefined {
    return this.timers.reduce<Timer | undefined>(
      (first, timer) => (!first || timer.at < first.at ? timer : first),
      undefined,
    );
  }
}
