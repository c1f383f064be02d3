// The broker's side of the group coordinator: builds the GroupCoordinator from the
// broker config (Kafka's names, mapped by GROUP_CONFIG_NAMES), gives it the
// consumer-protocol subscription parser, and offers the test-double hook that
// awaits a group reaching a state. The coordinator itself (broker/groups/) stays
// free of wire codecs; this file is where the two meet.
import type { Logger } from 'pino';
import { Reader } from '../protocol/reader.js';
import { readConsumerProtocolSubscription } from '../protocol/messages/data/consumer-protocol-subscription.js';
import { readAssignment } from './groups/consumer-protocol-bytes.js';
import type { BrokerConfig } from './config.js';
import { DEFAULT_WAIT_MS } from './double/wait.js';
import type { Clock } from './clock.js';
import { GroupCoordinator, type GroupCoordinatorOptions } from './groups/coordinator.js';
import type { GroupSnapshot } from './groups/classic-group.js';
import { GROUP_CONFIG_NAMES, type CoordinatorRecord, type GroupCoordinatorConfig, type RebalanceSummary } from './groups/types.js';
import type { ConsumerGroupConfigLookup, TopicMetadata, TopicMetadataView } from './groups/consumer-types.js';
import type { Cluster, TopicInfo } from './cluster.js';

/** The coordinator's configuration, read from the broker config by Kafka's names. */
export function groupCoordinatorConfig(config: BrokerConfig): Partial<GroupCoordinatorConfig> {
  const values = config.values as unknown as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(GROUP_CONFIG_NAMES) as [keyof GroupCoordinatorConfig, string | null][]) {
    if (name === null) continue;
    const v = values[name];
    if ((typeof v === 'number' && Number.isFinite(v)) || Array.isArray(v) || typeof v === 'string') out[field] = v;
  }
  return out as Partial<GroupCoordinatorConfig>;
}

/** Buffer view of a Uint8Array, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Topic names of a "consumer" member's subscription, read as Kafka's coordinator
 * reads them: skip the int16 version, then parse the version 0 prefix (topics,
 * user data) whatever the version says, ignoring what follows. Null when the bytes
 * do not parse.
 */
export function parseConsumerSubscription(metadata: Uint8Array): readonly string[] | null {
  try {
    const r = new Reader(asBuffer(metadata));
    r.int16();
    return readConsumerProtocolSubscription(r, 0).topics;
  } catch {
    return null;
  }
}

/** A consumer-protocol assignment as topic -> partitions; null when the bytes do not parse. */
export const parseConsumerAssignment = readAssignment;

/** The cluster's topics as consumer groups see them (internal topics left out, as Kafka's regex resolution does). */
export function clusterTopicView(cluster: Cluster): TopicMetadataView {
  const meta = (t: TopicInfo | undefined): TopicMetadata | undefined =>
    t === undefined || t.internal ? undefined : { id: t.id, name: t.name, numPartitions: t.partitions.length };
  return {
    topicByName: (name) => meta(cluster.topic(name)),
    topicById: (id) => meta(cluster.topicById(id)),
    *topicNames() {
      for (const t of cluster.topics()) if (!t.internal) yield t.name;
    },
  };
}

export interface GroupServiceOptions {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Durability of the coordinator's records (the __consumer_offsets topic). */
  readonly persist?: GroupCoordinatorOptions['persist'];
  /** Deterministic member ids in tests. */
  readonly newUuid?: () => string;
  /** Topics for consumer-group (KIP-848) subscriptions. */
  readonly topics?: TopicMetadataView;
  /** Per-group configs of consumer groups, read at use time. */
  readonly consumerGroupConfig?: ConsumerGroupConfigLookup;
}

export function createGroupCoordinator(opts: GroupServiceOptions): GroupCoordinator {
  const options: GroupCoordinatorOptions = {
    config: groupCoordinatorConfig(opts.config),
    clock: opts.clock,
    logger: opts.logger.child({ component: 'group-coordinator' }),
    parseSubscription: parseConsumerSubscription,
    parseAssignment: parseConsumerAssignment,
    persist: opts.persist,
    newUuid: opts.newUuid,
    topics: opts.topics,
    consumerGroupConfig: opts.consumerGroupConfig,
  };
  return new GroupCoordinator(options);
}

export interface WaitForGroupOptions {
  /** Also require exactly this many members (for 'Stable'). */
  readonly members?: number;
  /** Also require a generation at least this high. */
  readonly minGenerationId?: number;
  /** Default DEFAULT_WAIT_MS (4 s), below a test runner's 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Resolves with the group's snapshot once it is in `state` (and has the member
 * count / generation asked for; a consumer group's generation is its group epoch).
 * Stable and Empty are the states a rebalance of either protocol ends in, so the check runs now and after every completed rebalance; the answer is
 * released one turn of the event loop later, after the members' own JoinGroup /
 * SyncGroup answers have been written to their sockets.
 */
/** What waitForGroupState watches: one coordinator, or all of them (GroupShards). */
export interface GroupWatch {
  groupSnapshot(groupId: string): GroupSnapshot | undefined;
  onRebalance(listener: (summary: RebalanceSummary) => void): () => void;
  /** Consumer groups (KIP-848) reach Stable or Empty at the end of their rebalances. */
  onConsumerRebalance(listener: (summary: { readonly groupId: string }) => void): () => void;
}

export function waitForGroupState(
  groups: GroupWatch,
  groupId: string,
  state: 'Stable' | 'Empty',
  opts: WaitForGroupOptions = {},
): Promise<GroupSnapshot> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
  const matches = (): GroupSnapshot | undefined => {
    const s = groups.groupSnapshot(groupId);
    if (s === undefined || s.state !== state) return undefined;
    if (opts.members !== undefined && s.members.length !== opts.members) return undefined;
    if (opts.minGenerationId !== undefined && s.generationId < opts.minGenerationId) return undefined;
    return s;
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (s: GroupSnapshot) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      setImmediate(() => resolve(s));
    };
    const check = (summary: { readonly groupId: string }) => {
      if (summary.groupId !== groupId) return;
      const s = matches();
      if (s !== undefined) finish(s);
    };
    const unsubscribers = [groups.onRebalance(check), groups.onConsumerRebalance(check)];
    const unsubscribe = () => {
      for (const u of unsubscribers) u();
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      unsubscribe();
      const s = groups.groupSnapshot(groupId);
      const now = s === undefined ? 'no such group' : `${s.state}, generation ${s.generationId}, ${s.members.length} member(s)`;
      const want = `${state}${opts.members !== undefined ? ` with ${opts.members} member(s)` : ''}`;
      reject(new Error(`group ${groupId} did not become ${want} within ${timeoutMs} ms (now: ${now})`));
    }, timeoutMs);
    const s = matches();
    if (s !== undefined) finish(s);
  });
}

// ---------------------------------------------------------------------------
// Small pieces the group handlers share

/**
 * The client host as Kafka records it for a member (Java's InetAddress text:
 * "/" and the address, without the port; IPv4-mapped IPv6 shown as IPv4).
 */
export function clientHostOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  let host = colon > 0 ? remote.slice(0, colon) : remote;
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice('::ffff:'.length);
  return `/${host}`;
}

/** Whether the cluster has this topic and partition (Kafka's metadata cache check). */
export function partitionExists(cluster: { topic(name: string): { partitions: readonly unknown[] } | undefined }, topic: string, partition: number): boolean {
  const t = cluster.topic(topic);
  return t !== undefined && partition >= 0 && partition < t.partitions.length;
}

/**
 * A per-topic list of partition results in the order Kafka's response builders
 * produce: entries added up front (errors found by the request handler), then the
 * coordinator's answer merged in, appended to a topic already present.
 */
export class TopicPartitionResults<P extends { partitionIndex: number }> {
  private readonly byName = new Map<string, { name: string; partitions: P[] }>();

  add(topic: string, partition: P): void {
    let t = this.byName.get(topic);
    if (t === undefined) this.byName.set(topic, (t = { name: topic, partitions: [] }));
    t.partitions.push(partition);
  }

  merge(topics: readonly { readonly name: string; readonly partitions: readonly P[] }[]): void {
    for (const t of topics) for (const p of t.partitions) this.add(t.name, p);
  }

  get isEmpty(): boolean {
    return this.byName.size === 0;
  }

  topics(): { name: string; partitions: P[] }[] {
    return [...this.byName.values()];
  }
}
