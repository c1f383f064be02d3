// Helpers for tests and benchmarks of the group coordinator: request builders
// with sensible defaults, a toy assignment codec (JSON partition lists) for a
// leader that assigns round-robin, deterministic UUIDs, and a way to look at a
// promise without awaiting it.

import type { GroupCoordinator } from './coordinator.js';
import { Writer } from '../../protocol/writer.js';
import { writeConsumerProtocolSubscription } from '../../protocol/messages/data/consumer-protocol-subscription.js';
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  JoinProtocol,
  OffsetCommitRequest,
  SyncGroupRequest,
} from './types.js';
import type { ConsumerGroupHeartbeatRequest, TopicMetadata, TopicMetadataView, TopicPartitionList } from './consumer-types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A ConsumerProtocolSubscription (the embedded consumer protocol) as clients send it in JoinGroup. */
export function subscription(topics: string[], version = 0): Buffer {
  const w = new Writer();
  w.int16(version);
  writeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, version);
  return w.toBuffer();
}

export function protocol(name: string, metadata = name): JoinProtocol {
  return { name, metadata: bytes(metadata) };
}

export function joinRequest(groupId: string, over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [protocol('range')],
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    reason: null,
    apiVersion: 9,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...over,
  };
}

export function syncRequest(groupId: string, memberId: string, generationId: number, over: Partial<SyncGroupRequest> = {}): SyncGroupRequest {
  return {
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [],
    apiVersion: 5,
    ...over,
  };
}

export function heartbeatRequest(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): HeartbeatRequest {
  return { groupId, memberId, generationId, groupInstanceId };
}

export function commitRequest(
  groupId: string,
  offsets: Record<string, Record<number, bigint>>,
  over: Partial<OffsetCommitRequest> = {},
): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    apiVersion: 9,
    topics: Object.entries(offsets).map(([name, parts]) => ({
      name,
      partitions: Object.entries(parts).map(([p, offset]) => ({
        partitionIndex: Number(p),
        committedOffset: offset,
        committedLeaderEpoch: -1,
        committedMetadata: null,
      })),
    })),
    ...over,
  };
}

export function encodeAssignment(partitions: readonly number[]): Uint8Array {
  return bytes(JSON.stringify(partitions));
}

export function decodeAssignment(assignment: Uint8Array): number[] {
  if (assignment.length === 0) return [];
  return JSON.parse(decoder.decode(assignment)) as number[];
}

/** Partitions 0..count-1 dealt to the members in order. */
export function roundRobin(memberIds: readonly string[], partitionCount: number): Map<string, number[]> {
  const out = new Map<string, number[]>(memberIds.map((id) => [id, []]));
  if (memberIds.length === 0) return out;
  for (let p = 0; p < partitionCount; p++) out.get(memberIds[p % memberIds.length]!)!.push(p);
  return out;
}

/** UUID-shaped, counting up: stable member ids in tests. */
export function sequentialUuids(prefix = '00000000-0000-4000-8000'): () => string {
  let n = 0;
  return () => `${prefix}-${(n++).toString(16).padStart(12, '0')}`;
}

export interface Tracked<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  readonly value: T | undefined;
}

/** Watches a promise so a test can ask "answered yet?" without awaiting. */
export function track<T>(promise: Promise<T>): Tracked<T> {
  const t = { promise, settled: false, value: undefined as T | undefined };
  void promise.then((v) => {
    t.settled = true;
    t.value = v;
  });
  return t;
}

/** Lets resolved promises run their continuations (no time passes). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What must survive a restart: the last persisted view of each group. */
export function durableView(coord: GroupCoordinator, groupId: string) {
  const s = coord.groupSnapshot(groupId);
  if (s === undefined) return undefined;
  return {
    state: s.state,
    generationId: s.generationId,
    protocolType: s.protocolType,
    protocolName: s.protocolName,
    leaderId: s.leaderId,
    members: s.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      sessionTimeoutMs: m.sessionTimeoutMs,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      assignment: [...m.assignment],
      metadata: [...(m.protocols.find((p) => p.name === s.protocolName)?.metadata ?? [])],
    })),
  };
}

// ---------------------------------------------------------------------------
// Consumer groups (KIP-848)

/** A mutable TopicMetadataView for tests: topics by name with made-up ids. */
export class TestTopics implements TopicMetadataView {
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly newId = sequentialUuids('7e570000-0000-4000-8000');

  constructor(topics: Record<string, number> = {}) {
    for (const [name, n] of Object.entries(topics)) this.set(name, n);
  }

  /** Creates the topic or changes its partition count. */
  set(name: string, numPartitions: number): this {
    const id = this.byName.get(name)?.id ?? this.newId();
    this.byName.set(name, { id, name, numPartitions });
    return this;
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  topicByName(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  topicById(id: string): TopicMetadata | undefined {
    for (const t of this.byName.values()) if (t.id === id) return t;
    return undefined;
  }

  topicNames(): Iterable<string> {
    return this.byName.keys();
  }
}

export function consumerHeartbeat(
  groupId: string,
  memberId: string,
  memberEpoch: number,
  over: Partial<ConsumerGroupHeartbeatRequest> = {},
): ConsumerGroupHeartbeatRequest {
  const joining = memberEpoch === 0;
  return {
    groupId,
    memberId,
    memberEpoch,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: joining ? 30_000 : -1,
    subscribedTopicNames: joining ? [] : null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: joining ? [] : null,
    apiVersion: 1,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...over,
  };
}

/** "topic:partition" strings of a heartbeat assignment (topic ids resolved to names), sorted. */
export function flatPartitions(list: TopicPartitionList | null | undefined, topics: TopicMetadataView): string[] {
  if (list == null) return [];
  return list.flatMap((t) => t.partitions.map((p) => `${topics.topicById(t.topicId)?.name ?? t.topicId}:${p}`)).sort();
}
