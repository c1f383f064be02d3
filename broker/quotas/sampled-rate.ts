// A rate measured as Kafka's quota sensors measure it (metrics.stats.Rate over a
// WindowedSum): the values recorded in up to `samples` windows of `windowMs`
// (one extra slot holds a window overlapping the oldest), divided by the time
// they span, which counts as at least `samples - 1` whole windows so that a new
// client is not judged on its first milliseconds. A window with no event for
// `samples * windowMs` is reset. Times are the caller's clock, in ms.

export interface RateWindow {
  /** quota.window.num */
  readonly samples: number;
  /** quota.window.size.seconds, in ms. */
  readonly windowMs: number;
}

interface Sample {
  startMs: number;
  lastEventMs: number;
  value: number;
}

export class SampledRate {
  private readonly slots: Sample[] = [];
  private current = 0;
  /** When a value was last recorded (for forgetting idle clients). */
  lastRecordMs = 0;

  record(value: number, nowMs: number, w: RateWindow): void {
    let sample = this.currentSample(nowMs);
    if (nowMs - sample.startMs >= w.windowMs) sample = this.advance(nowMs, w);
    sample.value += value;
    sample.lastEventMs = nowMs;
    this.lastRecordMs = nowMs;
  }

  /**
   * Records `value`, then checks the rate against `bound` as Kafka's Sensor does:
   * 0 within it, else the ms the client must stay quiet for the rate to fall back
   * to the bound, (rate - bound) / bound * window (Kafka's QuotaUtils.throttleTime).
   */
  recordAndGetThrottleTimeMs(value: number, nowMs: number, w: RateWindow, bound: number): number {
    this.record(value, nowMs, w);
    const rate = this.measure(nowMs, w);
    if (!(rate > bound)) return 0;
    return Math.round(((rate - bound) / bound) * this.windowSize(nowMs, w));
  }

  /** Units per second over the retained windows. */
  measure(nowMs: number, w: RateWindow): number {
    const span = this.windowSize(nowMs, w);
    let total = 0;
    for (const s of this.slots) total += s.value;
    return total / (span / 1000);
  }

  /** The span the rate divides by, in ms (Kafka's Rate.windowSize). */
  windowSize(nowMs: number, w: RateWindow): number {
    this.purge(nowMs, w);
    let elapsed = nowMs - this.oldest(nowMs).startMs;
    const fullWindows = Math.floor(elapsed / w.windowMs);
    const minFull = w.samples - 1;
    if (fullWindows < minFull) elapsed += (minFull - fullWindows) * w.windowMs;
    return Math.max(elapsed, 1);
  }

  private currentSample(nowMs: number): Sample {
    if (this.slots.length === 0) this.slots.push({ startMs: nowMs, lastEventMs: nowMs, value: 0 });
    return this.slots[this.current];
  }

  private advance(nowMs: number, w: RateWindow): Sample {
    this.current = (this.current + 1) % (w.samples + 1);
    if (this.current >= this.slots.length) {
      const s = { startMs: nowMs, lastEventMs: nowMs, value: 0 };
      this.slots.push(s);
      return s;
    }
    const s = this.slots[this.current];
    reset(s, nowMs);
    return s;
  }

  private oldest(nowMs: number): Sample {
    let oldest = this.currentSample(nowMs);
    for (const s of this.slots) if (s.startMs < oldest.startMs) oldest = s;
    return oldest;
  }

  private purge(nowMs: number, w: RateWindow): void {
    const expireAge = w.samples * w.windowMs;
    for (const s of this.slots) if (nowMs - s.lastEventMs >= expireAge) reset(s, nowMs);
  }
}

function reset(s: Sample, nowMs: number): void {
  s.startMs = nowMs;
  s.lastEventMs = nowMs;
  s.value = 0;
}
