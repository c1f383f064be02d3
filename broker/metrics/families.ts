// The Prometheus families of a BrokerMetrics, each filled at scrape time: the
// counted ones from the meters, the rest from the cluster, logs and coordinators.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, type Metric, type MetricValueWithName } from 'prom-client';
import type { BrokerMetrics } from './metrics.js';
import type { Buckets } from './meters.js';
import { M } from './names.js';
import type { CleanerStats, LastRoundStats } from '../../storage/cleaner/manager.js';

type Labels = Record<string, string | number>;

/**
 * A histogram whose buckets are counted outside prom-client (a Buckets per
 * series, resolved once), shaped as prom-client's own metrics so the registry
 * formats it: `name_bucket{le}`, `name_sum`, `name_count`.
 */
class BucketsFamily {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly series: () => Iterable<[Labels, Buckets]>,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValueWithName<string>[] }> {
    const values: MetricValueWithName<string>[] = [];
    for (const [labels, b] of this.series()) {
      let cumulative = 0;
      for (let i = 0; i <= b.bounds.length; i++) {
        cumulative += b.counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: i < b.bounds.length ? b.bounds[i] : '+Inf' }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: b.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: b.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

type Read = (emit: (labels: Labels, value: number) => void) => void;

/** A counter whose values are read at scrape time. */
function counter(m: BrokerMetrics, name: string, help: string, labelNames: string[], read: Read): void {
  new Counter({ name, help, labelNames, registers: [m.registry], collect() {
    this.reset();
    read((labels, value) => this.inc(labels, value));
  } });
}

/** A gauge whose values are read at scrape time. */
function gauge(m: BrokerMetrics, name: string, help: string, labelNames: string[], read: Read): void {
  new Gauge({ name, help, labelNames, registers: [m.registry], collect() {
    this.reset();
    read((labels, value) => this.set(labels, value));
  } });
}

function histogram(m: BrokerMetrics, name: string, help: string, series: () => Iterable<[Labels, Buckets]>): void {
  m.registry.registerMetric(new BucketsFamily(name, help, series) as unknown as Metric);
}

/**
 * The event loop's busy and idle time (performance.eventLoopUtilization, cumulative),
 * process-wide like prom-client's process metrics (its GC histogram,
 * nodejs_gc_duration_seconds, gives the GC pause time): a rate of active over
 * active + idle is the event-loop utilization over any window.
 */
export function registerEventLoopFamilies(m: BrokerMetrics): void {
  counter(m, M.eventLoopActive, 'Seconds the event loop spent running callbacks, since the process started (kafkalite).', [], (emit) => emit({}, performance.eventLoopUtilization().active / 1000));
  counter(m, M.eventLoopIdle, 'Seconds the event loop spent waiting for events, since the process started (kafkalite).', [], (emit) => emit({}, performance.eventLoopUtilization().idle / 1000));
}

export function registerFamilies(m: BrokerMetrics): void {
  // ---- per topic (counted on produce and fetch) ----------------------------------------
  const perTopic = (name: string, help: string, field: (t: import('./meters.js').TopicMeter) => number) =>
    counter(m, name, help, ['topic'], (emit) => {
      for (const t of m.topics.values()) emit({ topic: t.topic }, field(t));
    });
  perTopic(M.messagesIn, 'Records appended by Produce (BrokerTopicMetrics MessagesInPerSec).', (t) => t.messagesIn);
  perTopic(M.bytesIn, 'Record batch bytes appended by Produce (BrokerTopicMetrics BytesInPerSec).', (t) => t.bytesIn);
  perTopic(M.bytesOut, 'Record batch bytes sent in Fetch responses (BrokerTopicMetrics BytesOutPerSec).', (t) => t.bytesOut);
  perTopic(M.messagesOut, 'Records in the batches sent in Fetch responses (kafkalite; Kafka does not count them).', (t) => t.messagesOut);
  perTopic(M.produceRequests, 'Produce partition requests for the topic (TotalProduceRequestsPerSec).', (t) => t.produceRequests);
  perTopic(M.fetchRequests, 'Fetch partition requests for the topic (TotalFetchRequestsPerSec).', (t) => t.fetchRequests);
  perTopic(M.failedProduceRequests, 'Produce partition requests refused by validation or failed in the log (FailedProduceRequestsPerSec).', (t) => t.failedProduceRequests);
  perTopic(M.failedFetchRequests, 'Fetch partition requests failed in the log (FailedFetchRequestsPerSec).', (t) => t.failedFetchRequests);

  // ---- per API key (counted in the connection) -----------------------------------------
  counter(m, M.requests, 'Requests answered, by API and version (RequestMetrics RequestsPerSec).', ['request', 'version'], (emit) => {
    for (const a of m.apis) if (a) a.versions.forEach((n, version) => emit({ request: a.name, version }, n));
  });
  histogram(m, M.totalTimeMs, 'Milliseconds from a request read to its response written, by API (RequestMetrics TotalTimeMs, as a histogram).', function* () {
    for (const a of m.apis) if (a) yield [{ request: a.name }, a.latencyMs];
  });
  counter(m, M.requestBytes, 'Request bytes read, by API (kafkalite).', ['request'], (emit) => {
    for (const a of m.apis) if (a) emit({ request: a.name }, a.requestBytes);
  });
  counter(m, M.responseBytes, 'Response bytes written, by API (kafkalite).', ['request'], (emit) => {
    for (const a of m.apis) if (a) emit({ request: a.name }, a.responseBytes);
  });

  // ---- connections ---------------------------------------------------------------------
  gauge(m, M.connectionCount, 'Open connections, by listener (socket-server-metrics connection-count).', ['listener'], (emit) => {
    for (const l of m.listeners.values()) emit({ listener: l.listener }, l.accepted - l.closed);
  });
  counter(m, M.connectionCreation, 'Connections accepted, by listener (socket-server-metrics connection-creation-total).', ['listener'], (emit) => {
    for (const l of m.listeners.values()) emit({ listener: l.listener }, l.accepted);
  });
  counter(m, M.connectionClose, 'Connections closed, by listener (socket-server-metrics connection-close-total).', ['listener'], (emit) => {
    for (const l of m.listeners.values()) emit({ listener: l.listener }, l.closed);
  });

  // ---- partitions and logs (read at scrape time) ---------------------------------------
  const partitions = (pick: (p: { leaderId: number }) => boolean) => (emit: (labels: Labels, value: number) => void) => {
    let n = 0;
    for (const t of m.sources?.cluster.topics() ?? []) for (const p of t.partitions) if (pick(p)) n++;
    emit({}, n);
  };
  gauge(m, M.partitionCount, 'Partitions (ReplicaManager PartitionCount).', [], partitions(() => true));
  gauge(m, M.leaderCount, 'Partitions with a live leader (ReplicaManager LeaderCount).', [], partitions((p) => p.leaderId >= 0));
  gauge(m, M.offlinePartitions, 'Partitions without a live leader (KafkaController OfflinePartitionsCount).', [], partitions((p) => p.leaderId < 0));
  // Replication is not simulated: every partition is its one replica, always in sync.
  gauge(m, M.underReplicated, 'Under-replicated partitions: always 0, a partition is its one replica (ReplicaManager UnderReplicatedPartitions).', [], (emit) => emit({}, 0));
  const perLog = (name: string, help: string, field: (l: import('../../storage/partition-log.js').PartitionLog) => number) =>
    gauge(m, name, help, ['topic', 'partition'], (emit) => {
      const logs = m.sources?.logs;
      if (logs) for (const l of logs.logs()) emit({ topic: l.topic, partition: l.partition }, field(l));
    });
  perLog(M.logSize, 'Bytes of the partition log (Log Size).', (l) => l.size);
  perLog(M.logStartOffset, 'First offset of the partition log (Log LogStartOffset).', (l) => l.logStartOffset);
  perLog(M.logEndOffset, 'Offset the next record appended will get (Log LogEndOffset).', (l) => l.logEndOffset);
  perLog(M.logSegments, 'Segments of the partition log (Log NumLogSegments).', (l) => l.segmentCount);
  const perLogCount = (name: string, help: string, field: (s: import('../../storage/partition-log.js').PartitionLog['stats']) => number) =>
    counter(m, name, help, ['topic', 'partition'], (emit) => {
      const logs = m.sources?.logs;
      if (logs) for (const l of logs.logs()) emit({ topic: l.topic, partition: l.partition }, field(l.stats));
    });
  perLogCount(M.logFsyncs, 'fsyncs (fdatasync) of the partition log\'s segment files (kafkalite; Kafka times flushes in LogFlushStats).', (s) => s.fsyncs);
  perLogCount(M.logWrites, 'File writes of appended batches to the partition log (kafkalite).', (s) => s.writes);
  perLogCount(M.logBytesWritten, 'Bytes written to the partition log\'s segment files by appends (kafkalite).', (s) => s.bytesWritten);
  perLogCount(M.logTailCacheReads, 'Fetch reads served from the partition log\'s in-memory tail cache (kafkalite).', (s) => s.cacheReads);
  perLogCount(M.logDiskReads, 'Fetch reads that missed the tail cache and read segment files (kafkalite).', (s) => s.diskReads);

  registerCleanerFamilies(m);

  // ---- groups (read at scrape time; rebalances counted as they complete) ---------------
  registerGroupFamilies(m);
}

/** The log cleaner's figures, as Kafka's LogCleaner and LogCleanerManager gauges compute them from each worker's last round. */
function registerCleanerFamilies(m: BrokerMetrics): void {
  const cleaner = () => m.sources?.logs.cleaner ?? null;
  const last = (read: (rounds: LastRoundStats[], workers: number) => number) => (emit: (labels: Labels, value: number) => void) => {
    const c = cleaner();
    if (!c) return;
    const rounds = c.stats.lastRounds.filter((r): r is LastRoundStats => r !== undefined);
    emit({}, read(rounds, c.workerCount));
  };
  gauge(m, M.cleanerMaxCleanTime, 'Seconds the longest last round of a cleaner worker took (LogCleaner max-clean-time-secs).', [], last((rs) => Math.max(0, ...rs.map((r) => r.elapsedMs / 1000))));
  gauge(m, M.cleanerRecopyPercent, 'Bytes written per byte read by the rewrite of the workers\' last rounds, averaged over workers, in percent (LogCleaner cleaner-recopy-percent).', [], last((rs, workers) =>
    Math.floor((100 * rs.reduce((sum, r) => sum + r.bytesWritten / Math.max(1, r.cleanBytesRead), 0)) / workers)));
  gauge(m, M.cleanerMaxBufferUtilization, 'Largest offset-map use of the workers\' last rounds, in percent of log.cleaner.dedupe.buffer.size slots (LogCleaner max-buffer-utilization-percent).', [], last((rs) =>
    Math.floor(100 * Math.max(0, ...rs.map((r) => r.bufferUtilization)))));
  gauge(m, M.cleanerMaxDirtyPercent, 'Largest dirty ratio, in percent, among the compacted logs the cleaner last looked at, cleanable or not (LogCleanerManager max-dirty-percent).', [], (emit) => {
    const c = cleaner();
    if (c) emit({}, Math.floor(100 * c.stats.maxDirtyRatio));
  });
  gauge(m, M.cleanerTimeSinceLastRun, 'Milliseconds since the cleaner last looked for a log to clean (LogCleanerManager time-since-last-run-ms).', [], (emit) => {
    const c = cleaner();
    const ms = c?.msSinceLastRun() ?? null;
    if (ms !== null) emit({}, ms);
  });
  gauge(m, M.cleanerUncleanablePartitions, 'Partitions whose cleaning failed, left alone until restart (LogCleanerManager uncleanable-partitions-count).', [], (emit) => {
    const c = cleaner();
    if (c) emit({}, c.uncleanableCount);
  });
  const total = (name: string, help: string, field: (s: CleanerStats) => number) =>
    counter(m, name, help, [], (emit) => {
      const c = cleaner();
      if (c) emit({}, field(c.stats));
    });
  total(M.cleanerRounds, 'Cleaning rounds completed (kafkalite).', (s) => s.rounds);
  total(M.cleanerBytesRead, 'Log bytes read by cleaning rounds, offset-map build and rewrite (kafkalite).', (s) => s.bytesRead);
  total(M.cleanerBytesWritten, 'Log bytes written by cleaning rounds (kafkalite).', (s) => s.bytesWritten);
}

function registerGroupFamilies(m: BrokerMetrics): void {
  const listed = () => m.sources?.groups.listGroups() ?? [];
  gauge(m, M.groupCount, 'Groups, by protocol (group-coordinator-metrics group-count).', ['protocol'], (emit) => {
    const n = { classic: 0, consumer: 0 };
    for (const g of listed()) n[g.groupType]++;
    emit({ protocol: 'classic' }, n.classic);
    emit({ protocol: 'consumer' }, n.consumer);
  });
  const byState = (protocol: 'classic' | 'consumer') => (emit: (labels: Labels, value: number) => void) => {
    const n = new Map<string, number>();
    for (const g of listed()) if (g.groupType === protocol) n.set(g.groupState, (n.get(g.groupState) ?? 0) + 1);
    for (const [state, count] of n) emit({ state }, count);
  };
  gauge(m, M.classicGroupCount, 'Classic groups, by state (group-coordinator-metrics classic-group-count).', ['state'], byState('classic'));
  gauge(m, M.consumerGroupCount, 'Consumer (KIP-848) groups, by state (group-coordinator-metrics consumer-group-count).', ['state'], byState('consumer'));
  gauge(m, M.groupInfo, 'One series per group: its protocol and state (kafkalite).', ['consumergroup', 'protocol', 'state'], (emit) => {
    for (const g of listed()) emit({ consumergroup: g.groupId, protocol: g.groupType, state: g.groupState }, 1);
  });
  gauge(m, M.groupMembers, 'Members of the group (kafka_exporter).', ['consumergroup'], (emit) => {
    const groups = m.sources?.groups;
    if (!groups) return;
    for (const g of listed()) {
      const d = g.groupType === 'consumer' ? groups.describeConsumerGroups([g.groupId])[0] : groups.describeGroups([g.groupId])[0];
      emit({ consumergroup: g.groupId }, d?.members.length ?? 0);
    }
  });
  // Lag against the high watermark, per partition the group has committed (kafka_exporter's definition).
  const committed = (emit: (group: string, topic: string, partition: number, offset: number, end: number) => void) => {
    const s = m.sources;
    if (!s) return;
    for (const g of listed()) {
      for (const [topic, parts] of s.groups.state.offsets.group(g.groupId) ?? []) {
        for (const [partition, o] of parts) {
          const log = s.logs.log(topic, partition);
          if (log) emit(g.groupId, topic, partition, Number(o.offset), log.highWatermark);
        }
      }
    }
  };
  gauge(m, M.groupOffset, 'Committed offset of the group, per partition (kafka_exporter).', ['consumergroup', 'topic', 'partition'], (emit) =>
    committed((consumergroup, topic, partition, offset) => emit({ consumergroup, topic, partition }, offset)),
  );
  gauge(m, M.groupLag, 'High watermark minus the committed offset, per partition (kafka_exporter).', ['consumergroup', 'topic', 'partition'], (emit) =>
    committed((consumergroup, topic, partition, offset, end) => emit({ consumergroup, topic, partition }, Math.max(0, end - offset))),
  );
  counter(m, M.classicRebalances, 'Completed classic group rebalances (group-coordinator-metrics group-completed-rebalance-count).', [], (emit) => emit({}, m.rebalances.classic));
  counter(m, M.consumerRebalances, 'Consumer group rebalances (group-coordinator-metrics consumer-group-rebalance-count).', [], (emit) => emit({}, m.rebalances.consumer));
  histogram(m, M.rebalancePause, 'Seconds a rebalance stopped consumption: the whole group for classic, the longest-moved partition for consumer groups (kafkalite).', function* () {
    yield [{ protocol: 'classic' }, m.rebalances.pause.classic];
    yield [{ protocol: 'consumer' }, m.rebalances.pause.consumer];
  });
}
