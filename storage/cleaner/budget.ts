// The cleaner's work budget on the one event loop: every step reports the
// bytes it read or wrote, and `spend` (a) holds the total rate of all cleaning
// jobs under log.cleaner.io.max.bytes.per.second (Kafka's Throttler: checked
// every 300 ms, sleeping until the rate is back on target) and (b) gives the
// loop back to produce and fetch once a job has held it for `sliceMs`.

import { setImmediate as yieldLoop } from 'node:timers/promises';

const CHECK_MS = 300;

export interface BudgetClock {
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realBudgetClock: BudgetClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.()),
};

export class CleanerBudget {
  private windowStart: number;
  private windowBytes = 0;
  private sliceStart: number;
  /** Bytes reported in total (stats). */
  bytes = 0;

  constructor(
    /** log.cleaner.io.max.bytes.per.second; Infinity for no limit. */
    public bytesPerSecond: number,
    private readonly sliceMs = 1,
    private readonly clock: BudgetClock = realBudgetClock,
  ) {
    this.windowStart = this.sliceStart = clock.now();
  }

  async spend(bytes: number): Promise<void> {
    this.bytes += bytes;
    this.windowBytes += bytes;
    const now = this.clock.now();
    const elapsed = now - this.windowStart;
    if (Number.isFinite(this.bytesPerSecond) && elapsed >= CHECK_MS) {
      const due = (this.windowBytes / this.bytesPerSecond) * 1000;
      if (due > elapsed) await this.clock.sleep(due - elapsed);
      this.windowStart = this.clock.now();
      this.windowBytes = 0;
      this.sliceStart = this.clock.now();
      return;
    }
    if (now - this.sliceStart >= this.sliceMs) {
      await yieldLoop();
      this.sliceStart = this.clock.now();
    }
  }
}
