// The cluster model, and the one owner of topic metadata: nodes (and which are
// live), topics, their ids, partitions, leaders, leader epochs and configs. It
// persists them (cluster-store.ts) and tells storage which partition logs to
// create or delete; storage keeps logs and knows no admin rules.
//
// Leaders. Replication is not simulated: every partition lives in the one shared
// LogManager, and its leader is the node allowed to serve it (replicas and ISR
// list the leader alone). New partitions are spread round-robin over the live
// nodes in node id order: partition i of a topic is led by live[i % n] (the same
// start for every topic, so a layout is reproducible; a manual assignment's first
// broker wins when it is live). Every change of leader bumps the leader epoch.
// A stopped node's partitions move to live[i % n] of the nodes still live;
// with none live they have no leader (-1) until a node starts again.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { unifyCollisionChars } from './topic-name.js';
import type { ClusterStore, StoredGroupConfigs, StoredMetadata, StoredTopic } from './cluster-store.js';
import type { LogConfig, LogConfigResolver } from '../storage/log-config.js';
import { ClientQuotas, type QuotaRecord, type StoredClientQuota } from './quotas/client-quotas.js';

export interface Endpoint {
  /** The listener name (PLAINTEXT, ...). */
  listener: string;
  host: string;
  port: number;
}

export interface BrokerNode {
  nodeId: number;
  /** The first listener's advertised address. */
  host: string;
  port: number;
  rack: string | null;
  /** Advertised address per listener: a client is told the one of the listener it came in on. */
  endpoints: Endpoint[];
}

/**
 * A node's address as seen through `listener` (Kafka answers with the same listener's
 * endpoints); undefined when the node has no such listener: to that client it is not there.
 */
export function endpointFor(node: BrokerNode, listener: string): { nodeId: number; host: string; port: number; rack: string | null } | undefined {
  const e = node.endpoints.find((x) => x.listener === listener);
  return e === undefined ? undefined : { nodeId: node.nodeId, host: e.host, port: e.port, rack: node.rack };
}

export interface PartitionInfo {
  index: number;
  /** -1 while no node is live to lead it. */
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicInfo {
  name: string;
  /** Topic id, a uuid string. */
  id: string;
  internal: boolean;
  partitions: PartitionInfo[];
  /** Topic-level config overrides, by Kafka name. */
  configs: Record<string, string>;
}

/** What the cluster asks of storage: the partition logs of its topics. */
export interface PartitionLogs {
  createLogs(t: { topicId: string; topic: string; config: LogConfig }, from: number, to: number): Promise<void>;
  deleteLogs(topicId: string): Promise<void>;
  /** Applies a topic's new effective log config to its open logs (one partition's, when given). */
  setConfig(topicId: string, config: LogConfig, partition?: number): void;
}

export interface ClusterOptions {
  store?: ClusterStore;
  logs?: PartitionLogs;
  /** A topic's effective log config from its overrides (the config table's), on a node. */
  logConfig?: LogConfigResolver;
  /** True while nodes have configs of their own: a partition's log config then follows its leader's. */
  logConfigsByLeader?: () => boolean;
}

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);
export const NO_LEADER = -1;
const NO_CONFIGS: Readonly<Record<string, string>> = Object.freeze({});

interface ClusterEvents {
  topicCreated: [TopicInfo];
  topicDeleted: [TopicInfo];
  /** A partition's leader changed (moved, or its node stopped or started); the epoch was bumped. */
  leaderChanged: [TopicInfo, PartitionInfo, previousLeader: number];
  nodeStopped: [number];
  nodeStarted: [number];
}

export class Cluster extends EventEmitter<ClusterEvents> {
  private readonly byName = new Map<string, TopicInfo>();
  private readonly byId = new Map<string, TopicInfo>();
  private readonly byCollisionName = new Map<string, TopicInfo>();
  /** Per-group configs (IncrementalAlterConfigs on GROUP resources), by group id. */
  private readonly groupConfigsById = new Map<string, Readonly<Record<string, string>>>();
  /** Client quotas by entity (AlterClientQuotas); read them here, change them with alterClientQuotas. */
  readonly clientQuotas = new ClientQuotas();
  private readonly allNodes: BrokerNode[];
  private readonly live = new Set<number>();
  private readonly store: ClusterStore | undefined;
  private readonly partitionLogs: PartitionLogs | undefined;
  private readonly resolveLogConfig: LogConfigResolver | undefined;
  private readonly byLeader: () => boolean;

  constructor(
    readonly clusterId: string,
    nodes: BrokerNode[],
    opts: ClusterOptions = {},
  ) {
    super();
    // Every parked fetch and acks=-1 produce listens for leadership changes.
    this.setMaxListeners(0);
    this.allNodes = [...nodes].sort((a, b) => a.nodeId - b.nodeId);
    for (const n of nodes) this.live.add(n.nodeId);
    this.store = opts.store;
    this.partitionLogs = opts.logs;
    this.resolveLogConfig = opts.logConfig;
    this.byLeader = opts.logConfigsByLeader ?? (() => false);
  }

  // ---- nodes -------------------------------------------------------------------------------------

  /** The live nodes, by node id: what Metadata lists. */
  get nodes(): BrokerNode[] {
    return this.allNodes.filter((n) => this.live.has(n.nodeId));
  }

  node(nodeId: number): BrokerNode | undefined {
    return this.allNodes.find((n) => n.nodeId === nodeId);
  }

  isLive(nodeId: number): boolean {
    return this.live.has(nodeId);
  }

  /** Kafka answers any live node; this one is the live node with the lowest id (-1 with none). */
  get controllerId(): number {
    return this.nodes[0]?.nodeId ?? NO_LEADER;
  }

  // ---- topics ------------------------------------------------------------------------------------

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topicById(id: string): TopicInfo | undefined {
    return this.byId.get(id);
  }

  topics(): IterableIterator<TopicInfo> {
    return this.byName.values();
  }

  /** An existing topic whose name differs from `name` only by '.' versus '_'. */
  collidingTopic(name: string): TopicInfo | undefined {
    const other = this.byCollisionName.get(unifyCollisionChars(name));
    return other && other.name !== name ? other : undefined;
  }

  /**
   * The effective log config of a topic (its overrides over the broker's
   * settings), or of one of its partitions: over its leader's settings.
   */
  logConfig(topic: TopicInfo, partition?: number): LogConfig {
    if (!this.resolveLogConfig) throw new Error('this cluster has no log config resolver');
    return this.resolveLogConfig(topic.configs, partition === undefined ? undefined : topic.partitions[partition]?.leaderId);
  }

  /** Pushes a topic's effective log config to its logs: per partition, by leader, while nodes have configs of their own. */
  private applyLogConfigs(topic: TopicInfo, from = 0): void {
    if (!this.partitionLogs) return;
    if (!this.byLeader()) return this.partitionLogs.setConfig(topic.id, this.logConfig(topic));
    for (const p of topic.partitions.slice(from)) this.partitionLogs.setConfig(topic.id, this.logConfig(topic, p.index), p.index);
  }

  /** A partition's leader; for a topic not created yet, the node that would lead it if it were created now. */
  leaderFor(topicName: string, partition: number): number {
    const t = this.byName.get(topicName);
    return t ? (t.partitions[partition]?.leaderId ?? NO_LEADER) : this.roundRobinLeader(partition);
  }

  /**
   * Builds (without registering) a topic. `preferredLeaders[i]`, when given and
   * live, leads partition i (a manual assignment's first broker).
   */
  newTopic(name: string, numPartitions: number, configs: Record<string, string> = {}, preferredLeaders: readonly number[] = []): TopicInfo {
    return {
      name,
      id: randomUUID(),
      internal: INTERNAL_TOPICS.has(name),
      partitions: Array.from({ length: numPartitions }, (_, i) => this.newPartition(i, preferredLeaders[i])),
      configs,
    };
  }

  private newPartition(index: number, preferred?: number): PartitionInfo {
    const leader = preferred !== undefined && this.live.has(preferred) ? preferred : this.roundRobinLeader(index);
    return { index, leaderId: leader, leaderEpoch: 0, replicas: leader === NO_LEADER ? [] : [leader], isr: leader === NO_LEADER ? [] : [leader] };
  }

  /** live[index % n] in node id order, optionally without one node. */
  private roundRobinLeader(index: number, without?: number): number {
    const live = this.nodes.filter((n) => n.nodeId !== without);
    return live.length === 0 ? NO_LEADER : live[index % live.length].nodeId;
  }

  async createTopic(topic: TopicInfo): Promise<TopicInfo> {
    if (this.byName.has(topic.name)) throw new Error(`topic ${topic.name} exists`);
    this.register(topic);
    try {
      await this.persist();
      await this.partitionLogs?.createLogs({ topicId: topic.id, topic: topic.name, config: this.logConfig(topic) }, 0, topic.partitions.length);
      if (this.byLeader()) this.applyLogConfigs(topic);
    } catch (err) {
      // No half-made topic: forget it, and rewrite the file without it as far as the disk lets us.
      this.unregister(topic);
      await this.persist().catch(() => undefined);
      throw err;
    }
    this.emit('topicCreated', topic);
    return topic;
  }

  private register(topic: TopicInfo): void {
    this.byName.set(topic.name, topic);
    this.byId.set(topic.id, topic);
    this.byCollisionName.set(unifyCollisionChars(topic.name), topic);
  }

  private unregister(topic: TopicInfo): void {
    this.byName.delete(topic.name);
    this.byId.delete(topic.id);
    if (this.byCollisionName.get(unifyCollisionChars(topic.name)) === topic) {
      this.byCollisionName.delete(unifyCollisionChars(topic.name));
    }
  }

  /** The topic disappears from the metadata file first, then its logs. */
  async deleteTopic(topic: TopicInfo): Promise<void> {
    this.unregister(topic);
    try {
      await this.persist();
    } catch (err) {
      this.register(topic);
      throw err;
    }
    this.emit('topicDeleted', topic);
    await this.partitionLogs?.deleteLogs(topic.id);
  }

  /** Deletes every topic, internal ones included (the test double's reset). */
  async deleteAllTopics(): Promise<void> {
    for (const t of [...this.byName.values()]) await this.deleteTopic(t);
  }

  async addPartitions(topic: TopicInfo, newTotal: number, preferredLeaders: readonly number[] = []): Promise<PartitionInfo[]> {
    const from = topic.partitions.length;
    const added: PartitionInfo[] = [];
    for (let i = from; i < newTotal; i++) added.push(this.newPartition(i, preferredLeaders[i - from]));
    topic.partitions.push(...added);
    try {
      await this.persist();
      await this.partitionLogs?.createLogs({ topicId: topic.id, topic: topic.name, config: this.logConfig(topic) }, from, newTotal);
      if (this.byLeader()) this.applyLogConfigs(topic, from);
    } catch (err) {
      topic.partitions.splice(from);
      await this.persist().catch(() => undefined);
      throw err;
    }
    return added;
  }

  /**
   * Replaces a topic's config overrides (already validated): persisted first,
   * then pushed to its partition logs so the change takes effect at once.
   */
  async updateConfigs(topic: TopicInfo, configs: Record<string, string>): Promise<void> {
    const previous = topic.configs;
    topic.configs = { ...configs };
    try {
      this.logConfig(topic); // throws for overrides that do not resolve, before anything is written
      await this.persist();
    } catch (err) {
      topic.configs = previous;
      await this.persist().catch(() => undefined);
      throw err;
    }
    this.applyLogConfigs(topic);
  }

  /** A group's config overrides (empty when none); the group need not exist, as in Kafka. */
  groupConfigs(groupId: string): Readonly<Record<string, string>> {
    return this.groupConfigsById.get(groupId) ?? NO_CONFIGS;
  }

  /** Makes `configs` (validated) the group's complete overrides, persisted before it returns. */
  async updateGroupConfigs(groupId: string, configs: Record<string, string>): Promise<void> {
    const previous = this.groupConfigsById.get(groupId);
    const set = (c: Readonly<Record<string, string>> | undefined) => {
      if (c === undefined || Object.keys(c).length === 0) this.groupConfigsById.delete(groupId);
      else this.groupConfigsById.set(groupId, c);
    };
    set({ ...configs });
    try {
      await this.persist();
    } catch (err) {
      set(previous);
      await this.persist().catch(() => undefined);
      throw err;
    }
  }

  /** Forgets every group's configs (the test double's reset). */
  async clearGroupConfigs(): Promise<void> {
    if (this.groupConfigsById.size === 0) return;
    this.groupConfigsById.clear();
    await this.persist();
  }

  /** Applies AlterClientQuotas' records, persisted before it returns; undone if persisting fails. */
  async alterClientQuotas(records: readonly QuotaRecord[]): Promise<void> {
    if (records.length === 0) return;
    const undo = records.map((r) => ({ entity: r.entity, key: r.key, value: this.clientQuotas.value(r.entity, r.key) ?? null }));
    this.clientQuotas.apply(records);
    try {
      await this.persist();
    } catch (err) {
      this.clientQuotas.apply(undo.reverse());
      await this.persist().catch(() => undefined);
      throw err;
    }
  }

  /** Forgets every client quota (the test double's reset). */
  async clearClientQuotas(): Promise<void> {
    const all = this.clientQuotas.entities().flatMap((entity) => [...this.clientQuotas.values(entity).keys()].map((key) => ({ entity, key, value: null })));
    await this.alterClientQuotas(all);
  }

  /** Re-resolves every topic's log config (after the broker defaults changed) and pushes it to the logs. */
  reapplyLogConfigs(): void {
    for (const topic of this.byName.values()) this.applyLogConfigs(topic);
  }

  // ---- leadership --------------------------------------------------------------------------------

  /** Makes `nodeId` (a live node) the leader of a partition, bumping its epoch. */
  async moveLeader(topicName: string, partition: number, nodeId: number): Promise<PartitionInfo> {
    const topic = this.byName.get(topicName);
    const p = topic?.partitions[partition];
    if (!topic || !p) throw new Error(`no partition ${topicName}-${partition}`);
    if (!this.live.has(nodeId)) throw new Error(`node ${nodeId} is not a live node`);
    if (p.leaderId !== nodeId) this.setLeader(topic, p, nodeId);
    await this.persist();
    return p;
  }

  /** The node stops: its partitions move to the nodes still live. */
  async stopNode(nodeId: number): Promise<void> {
    if (!this.live.delete(nodeId)) return;
    for (const t of this.byName.values()) {
      for (const p of t.partitions) if (p.leaderId === nodeId) this.setLeader(t, p, this.roundRobinLeader(p.index));
    }
    this.emit('nodeStopped', nodeId);
    await this.persist();
  }

  /** The node is live again; it takes the partitions that had no leader. */
  async startNode(nodeId: number): Promise<void> {
    if (!this.node(nodeId)) throw new Error(`no node ${nodeId} in this cluster`);
    if (this.live.has(nodeId)) return;
    this.live.add(nodeId);
    for (const t of this.byName.values()) {
      for (const p of t.partitions) if (p.leaderId === NO_LEADER) this.setLeader(t, p, nodeId);
    }
    this.emit('nodeStarted', nodeId);
    await this.persist();
  }

  private setLeader(topic: TopicInfo, p: PartitionInfo, nodeId: number): void {
    const previous = p.leaderId;
    p.leaderId = nodeId;
    p.leaderEpoch++;
    p.replicas = nodeId === NO_LEADER ? [] : [nodeId];
    p.isr = [...p.replicas];
    // The new leader's own configs apply to the partition.
    if (this.byLeader() && this.byName.get(topic.name) === topic) this.partitionLogs?.setConfig(topic.id, this.logConfig(topic, p.index), p.index);
    this.emit('leaderChanged', topic, p, previous);
  }

  // ---- persistence -------------------------------------------------------------------------------

  /** Registers the topics of the metadata file at start-up; leaders on nodes that are not live move. */
  load(stored: readonly StoredTopic[], groupConfigs: StoredGroupConfigs = {}, clientQuotas: readonly StoredClientQuota[] = []): void {
    this.clientQuotas.load(clientQuotas);
    for (const [groupId, configs] of Object.entries(groupConfigs)) {
      if (Object.keys(configs).length > 0) this.groupConfigsById.set(groupId, { ...configs });
    }
    for (const s of stored) {
      const t = this.newTopic(s.name, s.partitions, { ...s.configs });
      t.id = s.topicId;
      s.leaders?.forEach((l, i) => {
        const p = t.partitions[i];
        if (!p) return;
        p.leaderEpoch = l.leaderEpoch;
        if (l.leaderId !== p.leaderId) {
          if (this.live.has(l.leaderId)) {
            p.leaderId = l.leaderId;
            p.replicas = [l.leaderId];
            p.isr = [l.leaderId];
          } else p.leaderEpoch++; // the leader is gone: a new leader, a new epoch
        }
      });
      this.register(t);
    }
  }

  private snapshot(): StoredMetadata {
    const topics = [...this.byName.values()].map((t) => ({
      name: t.name,
      topicId: t.id,
      partitions: t.partitions.length,
      configs: t.configs,
      leaders: t.partitions.map((p) => ({ leaderId: p.leaderId, leaderEpoch: p.leaderEpoch })),
    }));
    return { topics, groupConfigs: Object.fromEntries(this.groupConfigsById), clientQuotas: this.clientQuotas.snapshot() };
  }

  private persist(): Promise<void> {
    return this.store?.save(() => this.snapshot()) ?? Promise.resolve();
  }
}
