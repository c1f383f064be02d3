// The embedding API's view of the metrics: the registry's families (as a scrape
// reads them) reshaped into plain numbers keyed by topic, API, group.
import type { MetricObjectWithValues, MetricValue, MetricValueWithName } from 'prom-client';
import { M } from './names.js';

export interface LatencySnapshot {
  count: number;
  /** Sum of the latencies, ms. */
  sumMs: number;
  /** Estimated from the histogram's buckets, as Prometheus's histogram_quantile does (0 when empty). */
  p50Ms: number;
  p99Ms: number;
}

export interface RequestSnapshot {
  count: number;
  /** Requests by version. */
  versions: Record<number, number>;
  requestBytes: number;
  responseBytes: number;
  latency: LatencySnapshot;
}

export interface TopicSnapshot {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  produceRequests: number;
  fetchRequests: number;
  failedProduceRequests: number;
  failedFetchRequests: number;
}

export interface PartitionLogSnapshot {
  size: number;
  startOffset: number;
  endOffset: number;
  segments: number;
}

export interface GroupSnapshot {
  protocol: string;
  state: string;
  members: number;
  /** topic -> partition -> committed offset, high watermark and lag. */
  partitions: Record<string, Record<number, { committed: number; end: number; lag: number }>>;
}

export interface MetricsSnapshot {
  /** By Kafka's API name (Produce, Fetch, ...). */
  requests: Record<string, RequestSnapshot>;
  topics: Record<string, TopicSnapshot>;
  /** By listener name. */
  connections: Record<string, { open: number; accepted: number; closed: number }>;
  partitions: { count: number; leaders: number; offline: number; underReplicated: number };
  /** topic -> partition -> its log. */
  logs: Record<string, Record<number, PartitionLogSnapshot>>;
  groups: Record<string, GroupSnapshot>;
  rebalances: { classic: number; consumer: number; pause: Record<'classic' | 'consumer', { count: number; sumSeconds: number }> };
}

type Family = MetricObjectWithValues<MetricValue<string>>;
type Sample = MetricValueWithName<string>;

/** Histogram_quantile over cumulative buckets (upper bound, count), linear inside the bucket. */
export function bucketQuantile(q: number, buckets: readonly (readonly [number, number])[]): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // In the +Inf bucket the best estimate is the highest finite bound, as Prometheus answers.
      if (bound === Infinity) return prevBound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / (count - prevCount || 1);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

export function toSnapshot(families: readonly Family[]): MetricsSnapshot {
  const byName = new Map(families.map((f) => [f.name, f.values as Sample[]]));
  const samples = (name: string): Sample[] => byName.get(name) ?? [];
  const one = (name: string): number => samples(name)[0]?.value ?? 0;
  const label = (s: Sample, k: string): string => String(s.labels[k]);

  const topics: Record<string, TopicSnapshot> = {};
  const topic = (name: string) =>
    (topics[name] ??= { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0, produceRequests: 0, fetchRequests: 0, failedProduceRequests: 0, failedFetchRequests: 0 });
  const topicFields: [string, keyof TopicSnapshot][] = [
    [M.messagesIn, 'messagesIn'],
    [M.bytesIn, 'bytesIn'],
    [M.messagesOut, 'messagesOut'],
    [M.bytesOut, 'bytesOut'],
    [M.produceRequests, 'produceRequests'],
    [M.fetchRequests, 'fetchRequests'],
    [M.failedProduceRequests, 'failedProduceRequests'],
    [M.failedFetchRequests, 'failedFetchRequests'],
  ];
  for (const [name, field] of topicFields) for (const s of samples(name)) topic(label(s, 'topic'))[field] = s.value;

  const requests: Record<string, RequestSnapshot> = {};
  const request = (name: string) =>
    (requests[name] ??= { count: 0, versions: {}, requestBytes: 0, responseBytes: 0, latency: { count: 0, sumMs: 0, p50Ms: 0, p99Ms: 0 } });
  for (const s of samples(M.requests)) {
    const r = request(label(s, 'request'));
    r.versions[Number(s.labels.version)] = s.value;
    r.count += s.value;
  }
  for (const s of samples(M.requestBytes)) request(label(s, 'request')).requestBytes = s.value;
  for (const s of samples(M.responseBytes)) request(label(s, 'request')).responseBytes = s.value;
  const buckets = new Map<string, [number, number][]>();
  for (const s of samples(M.totalTimeMs)) {
    const r = request(label(s, 'request'));
    if (s.metricName === `${M.totalTimeMs}_count`) r.latency.count = s.value;
    else if (s.metricName === `${M.totalTimeMs}_sum`) r.latency.sumMs = s.value;
    else {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      const list = buckets.get(label(s, 'request')) ?? [];
      list.push([le, s.value]);
      buckets.set(label(s, 'request'), list);
    }
  }
  for (const [name, list] of buckets) {
    requests[name].latency.p50Ms = bucketQuantile(0.5, list);
    requests[name].latency.p99Ms = bucketQuantile(0.99, list);
  }

  const connections: MetricsSnapshot['connections'] = {};
  const listener = (name: string) => (connections[name] ??= { open: 0, accepted: 0, closed: 0 });
  for (const s of samples(M.connectionCount)) listener(label(s, 'listener')).open = s.value;
  for (const s of samples(M.connectionCreation)) listener(label(s, 'listener')).accepted = s.value;
  for (const s of samples(M.connectionClose)) listener(label(s, 'listener')).closed = s.value;

  const logs: MetricsSnapshot['logs'] = {};
  const log = (s: Sample) => ((logs[label(s, 'topic')] ??= {})[Number(s.labels.partition)] ??= { size: 0, startOffset: 0, endOffset: 0, segments: 0 });
  for (const s of samples(M.logSize)) log(s).size = s.value;
  for (const s of samples(M.logStartOffset)) log(s).startOffset = s.value;
  for (const s of samples(M.logEndOffset)) log(s).endOffset = s.value;
  for (const s of samples(M.logSegments)) log(s).segments = s.value;

  const groups: MetricsSnapshot['groups'] = {};
  for (const s of samples(M.groupInfo)) groups[label(s, 'consumergroup')] = { protocol: label(s, 'protocol'), state: label(s, 'state'), members: 0, partitions: {} };
  for (const s of samples(M.groupMembers)) {
    const g = groups[label(s, 'consumergroup')];
    if (g) g.members = s.value;
  }
  const committed = (s: Sample) => {
    const g = groups[label(s, 'consumergroup')];
    return g ? ((g.partitions[label(s, 'topic')] ??= {})[Number(s.labels.partition)] ??= { committed: 0, end: 0, lag: 0 }) : undefined;
  };
  for (const s of samples(M.groupOffset)) {
    const p = committed(s);
    if (p) p.committed = s.value;
  }
  for (const s of samples(M.groupLag)) {
    const p = committed(s);
    if (p) {
      p.lag = s.value;
      p.end = p.committed + s.value;
    }
  }

  const pause = { classic: { count: 0, sumSeconds: 0 }, consumer: { count: 0, sumSeconds: 0 } };
  for (const s of samples(M.rebalancePause)) {
    const p = pause[label(s, 'protocol') as 'classic' | 'consumer'];
    if (s.metricName === `${M.rebalancePause}_count`) p.count = s.value;
    else if (s.metricName === `${M.rebalancePause}_sum`) p.sumSeconds = s.value;
  }

  return {
    requests,
    topics,
    connections,
    partitions: { count: one(M.partitionCount), leaders: one(M.leaderCount), offline: one(M.offlinePartitions), underReplicated: one(M.underReplicated) },
    logs,
    groups,
    rebalances: { classic: one(M.classicRebalances), consumer: one(M.consumerRebalances), pause },
  };
}
