// The counters the hot path touches: plain numbers in objects resolved once per
// topic, API key or listener and cached, so counting a request or an append is a
// few additions with no label hashing and no allocation. The Prometheus families
// (families.ts) read them at scrape time.

/** Upper bounds, in ms, of the request latency histogram (Kafka's TotalTimeMs, as a histogram). */
export const LATENCY_BOUNDS_MS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

/** Upper bounds, in seconds, of the rebalance pause histogram. */
export const PAUSE_BOUNDS_S: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** A histogram's buckets (not cumulative: counts[i] counts values in (bounds[i-1], bounds[i]], the last one +Inf). */
export class Buckets {
  readonly counts: Float64Array;
  count = 0;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    this.counts[i]++;
    this.count++;
    this.sum += value;
  }
}

/** Per topic, as Kafka's BrokerTopicMetrics (plus messages out, which Kafka does not count). */
export class TopicMeter {
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  produceRequests = 0;
  fetchRequests = 0;
  failedProduceRequests = 0;
  failedFetchRequests = 0;

  constructor(readonly topic: string) {}
}

/** Per API key: requests by version, bytes each way, and the time from request read to response written. */
export class ApiMeter {
  /** Requests answered (or completed without an answer: acks=0), by version. */
  readonly versions: number[] = [];
  requestBytes = 0;
  responseBytes = 0;
  readonly latencyMs = new Buckets(LATENCY_BOUNDS_MS);

  constructor(
    readonly apiKey: number,
    readonly name: string,
  ) {}

  /** One request done: `ms` from its frame being read to its response written. */
  record(version: number, requestBytes: number, responseBytes: number, ms: number): void {
    this.versions[version] = (this.versions[version] ?? 0) + 1;
    this.requestBytes += requestBytes;
    this.responseBytes += responseBytes;
    this.latencyMs.observe(ms);
  }
}

/** Per listener: connections accepted and closed (open = the difference). */
export class ListenerMeter {
  accepted = 0;
  closed = 0;

  constructor(readonly listener: string) {}
}
