// The measure of controller_mutation_rate, as Kafka's metrics.stats.TokenBucket:
// credits refill at the quota's rate (per second) up to a burst of
// samples * window seconds * quota; a mutation takes its count of credits, and
// the quota is exhausted while the credits are below zero. Kafka's bucket starts
// empty at time 0 and so is full at its first use; this one starts full.
import type { RateWindow } from './sampled-rate.js';

export class TokenBucket {
  private tokens: number;
  private lastUpdateMs: number;

  constructor(nowMs: number, w: RateWindow, bound: number) {
    this.tokens = burst(w, bound);
    this.lastUpdateMs = nowMs;
  }

  /** The credits left now (negative: exhausted). */
  measure(nowMs: number, w: RateWindow, bound: number): number {
    this.refill(nowMs, w, bound);
    return this.tokens;
  }

  record(value: number, nowMs: number, w: RateWindow, bound: number): void {
    this.refill(nowMs, w, bound);
    this.tokens = Math.min(burst(w, bound), this.tokens - value);
  }

  /** True when the bucket is back to full, so it is no different from a new one. */
  isFull(nowMs: number, w: RateWindow, bound: number): boolean {
    return this.measure(nowMs, w, bound) >= burst(w, bound);
  }

  private refill(nowMs: number, w: RateWindow, bound: number): void {
    this.tokens = Math.min(burst(w, bound), this.tokens + (bound * (nowMs - this.lastUpdateMs)) / 1000);
    this.lastUpdateMs = nowMs;
  }
}

function burst(w: RateWindow, bound: number): number {
  return w.samples * (w.windowMs / 1000) * bound;
}
