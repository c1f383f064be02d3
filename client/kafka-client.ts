// The cluster as a client sees it: bootstrap connection, Metadata (brokers,
// topics, partition leaders), one pooled connection per broker node, and
// routing to a partition's leader or a group's coordinator (FindCoordinator).
import { MetadataApi } from '../protocol/messages/03-metadata.js';
import { FindCoordinatorApi } from '../protocol/messages/10-find-coordinator.js';
import { ErrorCode } from '../protocol/errors.js';
import { Connection, type ConnectionOptions } from './connection.js';
import { ConnectionError, KafkaError, ProtocolError, throwIfError } from './errors.js';
import { withRetries } from './retry.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ClientOptions {
  readonly bootstrap: readonly HostPort[];
  readonly clientId?: string;
  /** Connect and request timeout (default 30 s). */
  readonly timeoutMs?: number;
  readonly softwareName?: string;
  readonly softwareVersion?: string;
}

export interface BrokerNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly errorCode: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly errorCode: number;
  /** By partition index. */
  readonly partitions: readonly PartitionInfo[];
}

export interface ClusterMetadata {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: readonly BrokerNode[];
  readonly topics: readonly TopicInfo[];
}

/** Oldest Metadata version used: v4 lets us refuse auto-creation. */
const METADATA_FLOOR = 4;
const RETRY_ATTEMPTS = 8;

export class KafkaClient {
  private readonly nodes = new Map<number, BrokerNode>();
  private readonly pool = new Map<number, Promise<Connection>>();
  private readonly coordinators = new Map<string, number>();
  private readonly leaders = new Map<string, number>();
  private controllerId = -1;

  private constructor(
    private readonly bootstrapConn: Connection,
    private readonly connOptions: ConnectionOptions,
  ) {}

  /** Connects to the first reachable bootstrap address. */
  static async connect(opts: ClientOptions): Promise<KafkaClient> {
    const connOptions: ConnectionOptions = {
      clientId: opts.clientId ?? 'kafkalite-cli',
      timeoutMs: opts.timeoutMs ?? 30_000,
      softwareName: opts.softwareName ?? 'kafkalite-cli',
      softwareVersion: opts.softwareVersion ?? '0.0.0',
    };
    if (opts.bootstrap.length === 0) throw new ConnectionError('no bootstrap address given');
    let last: Error | undefined;
    for (const { host, port } of opts.bootstrap) {
      try {
        return new KafkaClient(await Connection.open(host, port, connOptions), connOptions);
      } catch (e) {
        if (!(e instanceof ConnectionError)) throw e;
        last = e;
      }
    }
    throw last!;
  }

  /** The bootstrap connection: for requests any broker answers. */
  any(): Connection {
    return this.bootstrapConn;
  }

  /** Metadata for the named topics, or every topic with null. Never creates topics. */
  async metadata(topics: readonly string[] | null = null): Promise<ClusterMetadata> {
    const res = await this.bootstrapConn.request(
      MetadataApi,
      { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false },
      METADATA_FLOOR,
    );
    for (const b of res.brokers) this.nodes.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    this.controllerId = res.controllerId;
    const infos = res.topics.map((t): TopicInfo => {
      const partitions = t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          leaderId: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offline: p.offlineReplicas,
        }))
        .sort((a, b) => a.partition - b.partition);
      for (const p of partitions) this.leaders.set(`${t.name}\0${p.partition}`, p.leaderId);
      return { name: t.name ?? '', topicId: t.topicId, isInternal: t.isInternal, errorCode: t.errorCode, partitions };
    });
    return {
      clusterId: res.clusterId,
      controllerId: res.controllerId,
      brokers: [...res.brokers].sort((a, b) => a.nodeId - b.nodeId).map((b) => this.nodes.get(b.nodeId)!),
      topics: infos.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** One topic's metadata; a KafkaError when it does not exist. */
  async topic(name: string): Promise<TopicInfo> {
    return withRetries(
      async () => {
        const md = await this.metadata([name]);
        const t = md.topics.find((x) => x.name === name);
        if (t === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}"`);
        throwIfError(t.errorCode, `topic "${name}"`);
        return t;
      },
      // A topic just created may answer LEADER_NOT_AVAILABLE for a moment; an unknown one is not retried here.
      { attempts: RETRY_ATTEMPTS, retryIf: (e) => e.code !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    );
  }

  /** A pooled connection to a broker node named in metadata. */
  node(nodeId: number): Promise<Connection> {
    const existing = this.pool.get(nodeId);
    if (existing !== undefined) return existing;
    const node = this.nodes.get(nodeId);
    if (node === undefined) {
      return Promise.reject(new ProtocolError(`broker ${nodeId} is not in the cluster metadata`));
    }
    const opening = Connection.open(node.host, node.port, this.connOptions);
    this.pool.set(nodeId, opening);
    opening.catch(() => this.pool.delete(nodeId));
    return opening;
  }

  /** Every broker in the cluster, by node id. */
  async brokers(): Promise<readonly BrokerNode[]> {
    return (await this.metadata([])).brokers;
  }

  /** The leader of a partition, from cached metadata or a fresh Metadata request. */
  async leaderId(topic: string, partition: number): Promise<number> {
    const key = `${topic}\0${partition}`;
    let id = this.leaders.get(key);
    if (id === undefined || id < 0) {
      const t = await this.topic(topic);
      const p = t.partitions[partition];
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${topic}-${partition}`);
      throwIfError(p.errorCode, `partition ${topic}-${partition}`);
      id = p.leaderId;
      if (id < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${topic}-${partition}`);
    }
    return id;
  }

  /** Forgets cached leaders (after NOT_LEADER_OR_FOLLOWER and the like). */
  forgetLeaders(): void {
    this.leaders.clear();
  }

  /** The controller (where CreateTopics and friends go). */
  async controller(): Promise<Connection> {
    if (this.controllerId < 0) await this.metadata([]);
    return this.controllerId < 0 ? this.bootstrapConn : this.node(this.controllerId);
  }

  /** The coordinator of a consumer group, found with FindCoordinator and cached. */
  async coordinator(groupId: string): Promise<Connection> {
    const cached = this.coordinators.get(groupId);
    if (cached !== undefined) return this.node(cached);
    const nodeId = await withRetries(() => this.findCoordinator(groupId), { attempts: RETRY_ATTEMPTS });
    this.coordinators.set(groupId, nodeId);
    return this.node(nodeId);
  }

  /** Forgets a group's coordinator (after NOT_COORDINATOR). */
  forgetCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  private async findCoordinator(groupId: string): Promise<number> {
    const conn = this.bootstrapConn;
    const v = conn.version(FindCoordinatorApi);
    const batched = v >= 4;
    const res = await conn.send(FindCoordinatorApi, v, batched ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, ...(v >= 1 ? { keyType: 0 } : {}) });
    const c = batched ? res.coordinators[0] : { ...res, key: groupId };
    if (c === undefined) throw new ProtocolError(`FindCoordinator answered no coordinator for group "${groupId}"`);
    throwIfError(c.errorCode, `find the coordinator of group "${groupId}"`, c.errorMessage);
    this.nodes.set(c.nodeId, { nodeId: c.nodeId, host: c.host, port: c.port, rack: this.nodes.get(c.nodeId)?.rack ?? null });
    return c.nodeId;
  }

  close(): void {
    this.bootstrapConn.close();
    for (const p of this.pool.values()) p.then((c) => c.close(), () => {});
    this.pool.clear();
  }
}
