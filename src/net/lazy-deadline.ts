// A deadline that moves often and fires rarely: for a connection whose deadline is reset on every
// request. Setting it later than the armed timer costs nothing (the timer wakes, sees the new
// deadline and sleeps again for the rest); only an earlier deadline re-arms the timer.

import { performance } from 'node:perf_hooks';

/** Timers fire on the loop's millisecond clock: a wake this close to the deadline counts as it. */
const SLACK_MS = 1;

export class LazyDeadline {
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (performance.now() time); Infinity when none is armed. */
  private firesAt = Infinity;
  private deadline = Infinity;

  private readonly onExpire: () => void;

  constructor(onExpire: () => void) {
    this.onExpire = onExpire;
  }

  /** onExpire runs `ms` from now, unless the deadline is set again or cleared before. */
  set(ms: number): void {
    const now = performance.now();
    this.deadline = now + ms;
    if (this.timer !== undefined && this.firesAt <= this.deadline) return;
    this.arm(now, ms);
  }

  /** No deadline until the next set(); the armed timer stays (it is cheap) until it wakes. */
  clear(): void {
    this.deadline = Infinity;
  }

  /** No deadline and no timer: for when the connection is over. */
  stop(): void {
    this.deadline = Infinity;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.firesAt = Infinity;
  }

  private arm(now: number, ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const delay = Math.max(1, Math.ceil(ms));
    this.firesAt = now + delay;
    this.timer = setTimeout(this.wake, delay);
  }

  private readonly wake = (): void => {
    this.timer = undefined;
    this.firesAt = Infinity;
    if (this.deadline === Infinity) return;
    const now = performance.now();
    if (now + SLACK_MS >= this.deadline) {
      this.deadline = Infinity;
      this.onExpire();
    } else {
      this.arm(now, this.deadline - now);
    }
  };
}
