// Group coordination sharded by __consumer_offsets partition, as Kafka's
// coordinator runtime: a group belongs to partition abs(javaHash(groupId)) %
// partitions, and that partition's leader coordinates it. Each partition has
// its own GroupCoordinator (the pure machine of broker/groups/), loaded by
// replaying the partition when a node starts leading it and unloaded (parked
// JoinGroup/SyncGroup answered NOT_COORDINATOR, timers cancelled) when the
// leadership moves away. Requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS;
// requests on a node that does not lead the partition get NOT_COORDINATOR.
//
// Left out: records an unloaded shard was still persisting when its partition
// moved may land after the new shard's replay (Kafka fences them by epoch).
//
// The reads a test or tool makes (snapshots, history, onRebalance) go to
// whichever shard holds the group, so they work across shards.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import type { BrokerConfig } from './config.js';
import type { Clock } from './clock.js';
import type { Cluster, PartitionInfo, TopicInfo } from './cluster.js';
import { clusterTopicView, createGroupCoordinator } from './group-service.js';
import { consumerGroupTimeouts } from './group-configs.js';
import type { GroupCoordinator } from './groups/coordinator.js';
import type { GroupSnapshot } from './groups/classic-group.js';
import type { ConsumerRebalanceSummary } from './groups/consumer-rebalances.js';
import type { DescribedConsumerGroup, TopicMetadataView } from './groups/consumer-types.js';
import type { OffsetStore } from './groups/offset-store.js';
import type { DescribedGroup, ListedGroup, OffsetFetchRequest, OffsetFetchResult, RebalanceSummary } from './groups/types.js';
import { OFFSETS_TOPIC, type OffsetsTopic } from './offsets/offsets-topic.js';
import { offsetsPartitionFor } from './offsets/records.js';

interface Shard {
  readonly partition: number;
  readonly leaderId: number;
  readonly coordinator: GroupCoordinator;
  loading: boolean;
  /** Markers that landed while loading, settled after the replay (which may have read them too: settling twice is a no-op). */
  readonly lateMarkers: { producerId: bigint; commit: boolean }[];
}

export type ShardLookup = { coordinator: GroupCoordinator; errorCode: 0 } | { coordinator?: undefined; errorCode: number };

export interface GroupShardsOptions {
  readonly cluster: Cluster;
  readonly offsetsTopic: OffsetsTopic;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class GroupShards {
  private readonly shards = new Map<number, Shard>();
  private readonly listeners = new Set<(summary: RebalanceSummary) => void>();
  private readonly consumerListeners = new Set<(summary: ConsumerRebalanceSummary) => void>();
  /** What consumer-group subscriptions resolve against. */
  private readonly topics: TopicMetadataView;
  private readonly cluster: Cluster;
  private readonly offsetsTopic: OffsetsTopic;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly opts: GroupShardsOptions) {
    this.cluster = opts.cluster;
    this.topics = clusterTopicView(opts.cluster);
    this.offsetsTopic = opts.offsetsTopic;
    this.logger = opts.logger.child({ component: 'group-shards' });
    this.cluster.on('topicCreated', (t) => {
      if (t.name === OFFSETS_TOPIC) for (const p of t.partitions) void this.load(p);
    });
    this.cluster.on('leaderChanged', (t, p) => {
      if (t.name === OFFSETS_TOPIC) void this.load(p);
    });
    // Its groups and offsets went with it (the test double's reset deletes every topic).
    this.cluster.on('topicDeleted', (t) => {
      if (t.name === OFFSETS_TOPIC) this.unloadAll();
    });
  }

  /** Loads the shards of an existing __consumer_offsets (at start-up). */
  async start(): Promise<void> {
    const t = this.cluster.topic(OFFSETS_TOPIC);
    if (!t) return;
    const started = performance.now();
    const records = (await Promise.all(t.partitions.map((p) => this.load(p)))).reduce((a, b) => a + b, 0);
    this.logger.info({ partitions: t.partitions.length, records, ms: Math.round(performance.now() - started) }, 'group coordinator state loaded from __consumer_offsets');
  }

  /** The __consumer_offsets partition a group belongs to. */
  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.offsetsTopic.numPartitions);
  }

  /**
   * The coordinator of `groupId` if `nodeId` coordinates it: NOT_COORDINATOR when
   * another node leads its partition, COORDINATOR_LOAD_IN_PROGRESS while loading.
   * Creates __consumer_offsets on first use, as Kafka does.
   */
  async coordinatorFor(groupId: string, nodeId: number): Promise<ShardLookup> {
    let topic: TopicInfo;
    try {
      topic = await this.offsetsTopic.ensureTopic();
    } catch (err) {
      this.logger.error({ err }, `cannot create ${OFFSETS_TOPIC}`);
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    const partition = offsetsPartitionFor(groupId, topic.partitions.length);
    if (topic.partitions[partition]?.leaderId !== nodeId) return { errorCode: ErrorCode.NOT_COORDINATOR };
    const shard = this.shards.get(partition);
    if (!shard || shard.leaderId !== nodeId) return { errorCode: ErrorCode.NOT_COORDINATOR };
    if (shard.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return { coordinator: shard.coordinator, errorCode: 0 };
  }

  /** The node that coordinates `groupId` (-1 when none can); creates __consumer_offsets on first use. */
  async coordinatorNode(groupId: string): Promise<number> {
    try {
      const topic = await this.offsetsTopic.ensureTopic();
      return topic.partitions[offsetsPartitionFor(groupId, topic.partitions.length)]?.leaderId ?? -1;
    } catch (err) {
      this.logger.error({ err }, `cannot create ${OFFSETS_TOPIC}`);
      return -1;
    }
  }

  /**
   * The coordinators `nodeId` leads (ListGroups answers only its own groups), and
   * COORDINATOR_LOAD_IN_PROGRESS while any of them loads, as Kafka answers.
   */
  coordinatorsOf(nodeId: number): { coordinators: GroupCoordinator[]; errorCode: number } {
    const mine = [...this.shards.values()].filter((s) => s.leaderId === nodeId);
    const loading = mine.some((s) => s.loading);
    return { coordinators: mine.filter((s) => !s.loading).map((s) => s.coordinator), errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE };
  }

  /**
   * (Re)loads a partition's shard for its current leader: the old shard (if
   * any) is unloaded first, then the partition replayed into a new one.
   * Returns the number of records replayed.
   */
  private async load(p: PartitionInfo): Promise<number> {
    const old = this.shards.get(p.index);
    if (old && old.leaderId === p.leaderId) return 0;
    if (old) {
      this.shards.delete(p.index);
      old.coordinator.close();
      this.logger.info({ partition: p.index, from: old.leaderId, to: p.leaderId }, 'group coordinator shard unloaded');
    }
    if (this.closed || p.leaderId < 0) return 0;
    const coordinator = createGroupCoordinator({
      config: this.opts.config,
      clock: this.opts.clock,
      logger: this.opts.logger,
      persist: (records, txn) => this.offsetsTopic.persist(records, txn),
      topics: this.topics,
      consumerGroupConfig: (groupId) => consumerGroupTimeouts(this.cluster.groupConfigs(groupId)),
    });
    coordinator.onRebalance((summary) => {
      for (const l of this.listeners) l(summary);
    });
    coordinator.onConsumerRebalance((summary) => {
      for (const l of this.consumerListeners) l(summary);
    });
    const shard: Shard = { partition: p.index, leaderId: p.leaderId, coordinator, loading: true, lateMarkers: [] };
    this.shards.set(p.index, shard);
    let replayed = 0;
    if (this.offsetsTopic.hasRecords(p.index)) {
      try {
        replayed = await this.offsetsTopic.loadPartition(
          p.index,
          (record, txnProducer) => coordinator.loadRecord(record, txnProducer),
          (producerId, commit) => coordinator.loadTxnMarker(producerId, commit),
        );
        this.logger.info({ partition: p.index, node: p.leaderId, records: replayed }, 'group coordinator shard loaded');
      } catch (err) {
        this.logger.error({ err, partition: p.index }, 'loading a group coordinator shard failed');
      }
      if (this.shards.get(p.index) !== shard) return replayed; // moved again meanwhile
    }
    for (const m of shard.lateMarkers.splice(0)) coordinator.loadTxnMarker(m.producerId, m.commit);
    coordinator.finishLoading();
    shard.loading = false;
    return replayed;
  }

  // ---- reads across shards (tests, tools) --------------------------------------------------

  private shardOf(groupId: string): Shard | undefined {
    return this.shards.get(this.partitionFor(groupId));
  }

  groupSnapshot(groupId: string): GroupSnapshot | undefined {
    return this.shardOf(groupId)?.coordinator.groupSnapshot(groupId);
  }

  rebalanceHistory(groupId: string): readonly RebalanceSummary[] {
    return this.shardOf(groupId)?.coordinator.rebalanceHistory(groupId) ?? [];
  }

  consumerRebalanceHistory(groupId: string): readonly ConsumerRebalanceSummary[] {
    return this.shardOf(groupId)?.coordinator.consumerRebalanceHistory(groupId) ?? [];
  }

  /** Consumer (KIP-848) groups as ConsumerGroupDescribe sees them, from whichever shard holds each. */
  describeConsumerGroups(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.flatMap((g) => this.shardOf(g)?.coordinator.describeConsumerGroups([g]) ?? []);
  }

  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.flatMap((g) => this.shardOf(g)?.coordinator.describeGroups([g]) ?? []);
  }

  /** A group's committed offsets, from whichever shard holds it (undefined when no shard does). */
  fetchOffsets(request: OffsetFetchRequest): Promise<OffsetFetchResult> | undefined {
    return this.shardOf(request.groupId)?.coordinator.fetchOffsets(request);
  }

  listGroups(): ListedGroup[] {
    return [...this.shards.values()].flatMap((s) => s.coordinator.listGroups());
  }

  /** Committed offsets of any group, read-only. */
  get state(): { readonly offsets: Pick<OffsetStore, 'group'> } {
    return { offsets: { group: (groupId: string) => this.shardOf(groupId)?.coordinator.state.offsets.group(groupId) } };
  }

  /** Called after every completed rebalance in any shard; returns an unsubscribe function. */
  onRebalance(listener: (summary: RebalanceSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every consumer-group (KIP-848) rebalance step in any shard; returns an unsubscribe function. */
  onConsumerRebalance(listener: (summary: ConsumerRebalanceSummary) => void): () => void {
    this.consumerListeners.add(listener);
    return () => this.consumerListeners.delete(listener);
  }

  /** A transaction marker landed on a __consumer_offsets partition: that shard settles the producer's pending offsets. */
  onTxnMarker(partition: number, producerId: bigint, commit: boolean): void {
    const shard = this.shards.get(partition);
    if (shard?.loading) {
      shard.lateMarkers.push({ producerId, commit });
      return;
    }
    shard?.coordinator.settleTransaction(producerId, commit);
  }

  /** Unloads every shard (broker shutdown). */
  close(): void {
    this.closed = true;
    this.unloadAll();
  }

  private unloadAll(): void {
    for (const s of this.shards.values()) s.coordinator.close();
    this.shards.clear();
  }
}
