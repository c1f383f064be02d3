// BrokerMetrics: one broker's (or one in-process cluster's) metrics, in its own
// prom-client Registry so two brokers in one process never share a series.
//
// Two kinds of numbers. Counted on the way (requests, bytes and messages per
// topic, connections, rebalances): plain fields of meters cached per API key,
// topic and listener (meters.ts), so the hot path adds numbers and allocates
// nothing. Read at scrape time (partitions, log sizes and offsets, groups and
// lag): from the cluster, the log manager and the coordinators, so nothing is
// maintained on each append. families.ts turns both into Prometheus families;
// snapshot() reads the same registry, so the embedding API and a scrape agree.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { API_NAMES } from '../../protocol/messages/api-names.js';
import type { Cluster, TopicInfo } from '../cluster.js';
import type { GroupShards } from '../group-shards.js';
import type { LogManager } from '../../storage/log-manager.js';
import { ApiMeter, Buckets, ListenerMeter, PAUSE_BOUNDS_S, TopicMeter } from './meters.js';
import { registerEventLoopFamilies, registerFamilies } from './families.js';
import { toSnapshot, type MetricsSnapshot } from './snapshot.js';

export type { MetricsSnapshot } from './snapshot.js';

/** What scrape-time metrics read. */
export interface MetricsSources {
  readonly cluster: Cluster;
  readonly logs: LogManager;
  readonly groups: GroupShards;
}

function meterOf<T>(meters: Map<string, T>, name: string, Meter: new (name: string) => T): T {
  let m = meters.get(name);
  if (!m) {
    m = new Meter(name);
    meters.set(name, m);
  }
  return m;
}

export class BrokerMetrics {
  /** The prom-client registry holding every family (and, once served, process metrics). */
  readonly registry = new Registry();
  /** @internal meters by topic, API key and listener, read by families.ts. */
  readonly topics = new Map<string, TopicMeter>();
  /** @internal */
  readonly apis: ApiMeter[] = [];
  /** @internal */
  readonly listeners = new Map<string, ListenerMeter>();
  /** @internal rebalances completed, by protocol, and how long each stopped its group. */
  readonly rebalances = { classic: 0, consumer: 0, pause: { classic: new Buckets(PAUSE_BOUNDS_S), consumer: new Buckets(PAUSE_BOUNDS_S) } };
  /** @internal */
  sources: MetricsSources | null = null;
  private processMetrics = false;
  private readonly detach: (() => void)[] = [];

  constructor() {
    registerFamilies(this);
  }

  /** Starts reading the broker's state at scrape time and counting its rebalances. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
    this.detach.push(
      sources.groups.onRebalance((s) => {
        this.rebalances.classic++;
        this.rebalances.pause.classic.observe(s.pausedMs / 1000);
      }),
      sources.groups.onConsumerRebalance((s) => {
        this.rebalances.consumer++;
        this.rebalances.pause.consumer.observe(s.maxPausedMs / 1000);
      }),
    );
    // A deleted topic's series go with it, as Kafka removes its BrokerTopicMetrics.
    const onDeleted = (t: TopicInfo) => this.topics.delete(t.name);
    sources.cluster.on('topicDeleted', onDeleted);
    this.detach.push(() => sources.cluster.off('topicDeleted', onDeleted));
  }

  /** The meter of a topic, created on first use (cache it per request, not per record). */
  topic(name: string): TopicMeter {
    return meterOf(this.topics, name, TopicMeter);
  }

  /** The meter of an API key, created on first use. */
  api(apiKey: number): ApiMeter {
    return (this.apis[apiKey] ??= new ApiMeter(apiKey, API_NAMES[apiKey] ?? String(apiKey)));
  }

  /** The meter of a listener, created on first use. */
  listener(name: string): ListenerMeter {
    return meterOf(this.listeners, name, ListenerMeter);
  }

  /**
   * Adds the process metrics (CPU, memory, event loop lag and utilization, GC, handles) to this
   * registry, once. They are process-wide and cost a GC observer and an event-loop
   * monitor, so a broker adds them only when it serves /metrics.
   */
  enableProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
    registerEventLoopFamilies(this);
  }

  /** Every broker metric (not the process ones) as plain numbers, read as a scrape reads them. */
  async snapshot(): Promise<MetricsSnapshot> {
    return toSnapshot(await this.registry.getMetricsAsJSON());
  }

  close(): void {
    for (const d of this.detach.splice(0)) d();
  }
}
