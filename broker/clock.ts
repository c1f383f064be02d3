// Time, injectable: the real clock in the broker, a manual one in tests so that
// timeouts are walked in milliseconds without sleeping.

import type { Clock } from '../storage/logger.js';

// The interface and the real clock live with storage, the lowest layer that needs time.
export { systemClock, type Clock } from '../storage/logger.js';

export interface Timer {
  cancel(): void;
}

/** A clock that moves only when told to; timers fire in deadline order. */
export class ManualClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];
  private seq = 0;

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const t = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  }

  /** Moves time forward, firing every timer due on the way, each at its own deadline. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => t.live);
      let next: (typeof this.timers)[number] | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      next.live = false;
      next.fn();
    }
    this.current = target;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }
}
