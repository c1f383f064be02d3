// Request rates and latency per API, and traffic per topic, for the console's
// metrics page: read from the broker's metrics (BrokerMetrics.snapshot(), the
// same counters a Prometheus scrape reads), with rates as the difference of two
// snapshots over the time between them.
import type { BrokerMetrics, MetricsSnapshot } from '../metrics/metrics.js';

interface Sample {
  readonly at: number;
  readonly snap: MetricsSnapshot;
}

/** Rates are averaged over at most this long, and need two samples at least MIN_WINDOW_MS apart. */
const MAX_WINDOW_MS = 10_000;
const MIN_WINDOW_MS = 1_000;

export class RateSampler {
  private samples: Sample[] = [];

  constructor(
    private readonly metrics: BrokerMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  async read() {
    const cur: Sample = { at: this.now(), snap: await this.metrics.snapshot() };
    const base = this.samples.find((s) => cur.at - s.at >= MIN_WINDOW_MS);
    this.samples = [...this.samples.filter((s) => cur.at - s.at <= MAX_WINDOW_MS), cur];
    const secs = base ? (cur.at - base.at) / 1000 : null;
    const rate = (now: number, before: number | undefined): number | null => (secs === null ? null : (now - (before ?? 0)) / secs);
    return {
      windowSeconds: secs,
      requests: Object.entries(cur.snap.requests)
        .map(([api, r]) => ({
          api,
          count: r.count,
          perSecond: rate(r.count, base?.snap.requests[api]?.count),
          meanMs: r.latency.count === 0 ? 0 : r.latency.sumMs / r.latency.count,
          p50Ms: r.latency.p50Ms,
          p99Ms: r.latency.p99Ms,
          bytesInPerSecond: rate(r.requestBytes, base?.snap.requests[api]?.requestBytes),
          bytesOutPerSecond: rate(r.responseBytes, base?.snap.requests[api]?.responseBytes),
        }))
        .sort((a, b) => b.count - a.count),
      topics: Object.entries(cur.snap.topics)
        .map(([topic, t]) => ({
          topic,
          messagesIn: t.messagesIn,
          messagesInPerSecond: rate(t.messagesIn, base?.snap.topics[topic]?.messagesIn),
          bytesInPerSecond: rate(t.bytesIn, base?.snap.topics[topic]?.bytesIn),
          bytesOutPerSecond: rate(t.bytesOut, base?.snap.topics[topic]?.bytesOut),
        }))
        .sort((a, b) => a.topic.localeCompare(b.topic)),
      rebalances: cur.snap.rebalances,
    };
  }
}
