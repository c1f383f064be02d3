// The cluster model: nodes, topics and the leader of every partition. One node
// today, but every partition already names its leader and replicas so that several
// nodes in one process need no redesign.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { unifyCollisionChars } from '../storage/topic-name.js';

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  index: number;
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

/** Persistence of topic metadata (the storage layer), called after validation. */
export interface TopicStore {
  createTopic(topic: TopicInfo): Promise<void>;
  deleteTopic(topic: TopicInfo): Promise<void>;
  addPartitions(topic: TopicInfo, added: PartitionInfo[]): Promise<void>;
  updateConfigs(topic: TopicInfo): Promise<void>;
}

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export class Cluster extends EventEmitter<{ topicCreated: [TopicInfo]; topicDeleted: [TopicInfo] }> {
  private readonly byName = new Map<string, TopicInfo>();
  private readonly byId = new Map<string, TopicInfo>();
  private readonly byCollisionName = new Map<string, TopicInfo>();

  constructor(
    readonly clusterId: string,
    readonly controllerId: number,
    readonly nodes: BrokerNode[],
    private readonly store?: TopicStore,
  ) {
    super();
  }

  get localNodeId(): number {
    return this.controllerId;
  }

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

  /** Builds (without registering) a topic whose partitions are led by this node. */
  newTopic(name: string, numPartitions: number, configs: Record<string, string> = {}): TopicInfo {
    return {
      name,
      id: randomUUID(),
      internal: INTERNAL_TOPICS.has(name),
      partitions: Array.from({ length: numPartitions }, (_, i) => this.newPartition(i)),
      configs,
    };
  }

  private newPartition(index: number): PartitionInfo {
    const leader = this.localNodeId;
    return { index, leaderId: leader, leaderEpoch: 0, replicas: [leader], isr: [leader] };
  }

  async createTopic(topic: TopicInfo): Promise<TopicInfo> {
    if (this.byName.has(topic.name)) throw new Error(`topic ${topic.name} exists`);
    this.register(topic);
    try {
      await this.store?.createTopic(topic);
    } catch (err) {
      this.unregister(topic);
      throw err;
    }
    this.emit('topicCreated', topic);
    return topic;
  }

  /** Registers a topic loaded from storage at start-up. */
  register(topic: TopicInfo): void {
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

  async deleteTopic(topic: TopicInfo): Promise<void> {
    this.unregister(topic);
    await this.store?.deleteTopic(topic);
    this.emit('topicDeleted', topic);
  }

  /** Deletes every topic, internal ones included (the test double's reset). */
  async deleteAllTopics(): Promise<void> {
    for (const t of [...this.byName.values()]) await this.deleteTopic(t);
  }

  async addPartitions(topic: TopicInfo, newTotal: number): Promise<PartitionInfo[]> {
    const added: PartitionInfo[] = [];
    for (let i = topic.partitions.length; i < newTotal; i++) added.push(this.newPartition(i));
    topic.partitions.push(...added);
    try {
      await this.store?.addPartitions(topic, added);
    } catch (err) {
      topic.partitions.splice(topic.partitions.length - added.length);
      throw err;
    }
    return added;
  }
}
