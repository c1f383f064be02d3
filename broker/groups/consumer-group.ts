// One consumer group (KIP-848) as data: group epoch, target assignment epoch,
// members with their epochs and assignments, each member's target, and the owner
// of every partition (a partition in some member's assigned or pending-revocation
// set). State changes ONLY by applying records (`apply`), the same code replay
// uses, so the live state always equals what the log rebuilds (Kafka's
// GroupMetadataManager.replay). The heartbeat logic (consumer-heartbeat.ts)
// decides which records to write; reconciliation is `reconcile` below (Kafka's
// CurrentAssignmentBuilder).

import type { PartitionMap } from './consumer-assignors.js';
import {
  MemberState,
  type ConsumerGroupRecord,
  type ConsumerGroupState,
  type ConsumerMemberMetadata,
  type DescribedConsumerGroup,
  type MemberStateCode,
  type TopicMetadata,
  type TopicPartitionList,
} from './consumer-types.js';
import { ErrorCode, type ListedGroup, type OffsetAndMetadata } from './types.js';
import type { GroupSnapshot } from './classic-group.js';
import { writeAssignment, type NamedPartitions } from './consumer-protocol-bytes.js';

export interface ConsumerMember extends ConsumerMemberMetadata {
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberStateCode;
  readonly assigned: PartitionMap;
  readonly pendingRevocation: PartitionMap;
}

/** Kafka: member epoch of a static member that left temporarily. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;

export function toPartitionMap(list: TopicPartitionList): PartitionMap {
  const m: PartitionMap = new Map();
  for (const t of list) if (t.partitions.length > 0) m.set(t.topicId, new Set(t.partitions));
  return m;
}

export function toPartitionList(map: PartitionMap): TopicPartitionList {
  return [...map.keys()]
    .sort()
    .filter((t) => map.get(t)!.size > 0)
    .map((topicId) => ({ topicId, partitions: [...map.get(topicId)!].sort((a, b) => a - b) }));
}

export function partitionMapsEqual(a: PartitionMap, b: PartitionMap): boolean {
  let na = 0;
  for (const [t, s] of a) {
    if (s.size === 0) continue;
    na++;
    const o = b.get(t);
    if (o === undefined || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  let nb = 0;
  for (const s of b.values()) if (s.size > 0) nb++;
  return na === nb;
}

function emptyMember(memberId: string): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: '',
    clientHost: '',
    subscribedTopicNames: [],
    subscribedTopicRegex: null,
    rebalanceTimeoutMs: -1,
    serverAssignor: null,
    classicMemberMetadata: null,
    memberEpoch: 0,
    previousMemberEpoch: 0,
    state: MemberState.STABLE,
    assigned: new Map(),
    pendingRevocation: new Map(),
  };
}

export class ConsumerGroup {
  readonly type = 'consumer' as const;
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  readonly targets = new Map<string, PartitionMap>();
  /** instance id -> member id. */
  readonly staticMembers = new Map<string, string>();
  /** topic id -> partition -> owning member id. */
  readonly owners = new Map<string, Map<number, string>>();
  /** Topic name / regex -> how many members subscribe to it, so a heartbeat need not walk every member. */
  readonly subscribedNames = new Map<string, number>();
  readonly subscribedRegexes = new Map<string, number>();
  /** Subscribed topics as last recorded, sorted by name. */
  subscriptionMetadata: readonly TopicMetadata[] = [];
  /** Set when the group was deleted (its metadata tombstoned). */
  dead = false;
  /** Members that use the classic protocol, and how many of them support each protocol name. */
  private classicMembers = 0;
  private readonly classicProtocolSupport = new Map<string, number>();
  /** Classic members told to rejoin whose join timer runs (timers are soft state, as in Kafka). */
  readonly classicJoinTimers = new Set<string>();

  constructor(readonly groupId: string) {}

  /** Members STABLE at the assignment epoch, kept by `apply` so `state` needs no walk over every member on each heartbeat. */
  private reconciledMembers = 0;

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    return this.reconciledMembers === this.members.size ? 'Stable' : 'Reconciling';
  }

  private isReconciled(m: ConsumerMember): boolean {
    return m.memberEpoch === this.assignmentEpoch && m.state === MemberState.STABLE;
  }

  /** The only writer of `members`. */
  private setMember(memberId: string, next: ConsumerMember | undefined): void {
    const old = this.members.get(memberId);
    if (old !== undefined && this.isReconciled(old)) this.reconciledMembers--;
    if (next === undefined) this.members.delete(memberId);
    else {
      this.members.set(memberId, next);
      if (this.isReconciled(next)) this.reconciledMembers++;
    }
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  ownerOf(topicId: string, partition: number): string | undefined {
    return this.owners.get(topicId)?.get(partition);
  }

  // -------------------------------------------------------------------------
  // Replay: the only way state changes

  apply(record: ConsumerGroupRecord): void {
    switch (record.type) {
      case 'cg-metadata':
        if (record.value === null) this.dead = true;
        else this.groupEpoch = record.value.epoch;
        return;
      case 'cg-partition-metadata':
        this.subscriptionMetadata = record.value?.topics ?? [];
        return;
      case 'cg-target-metadata':
        this.assignmentEpoch = record.value?.assignmentEpoch ?? 0;
        this.reconciledMembers = 0;
        for (const m of this.members.values()) if (this.isReconciled(m)) this.reconciledMembers++;
        return;
      case 'cg-target-member':
        if (record.value === null) this.targets.delete(record.memberId);
        else this.targets.set(record.memberId, toPartitionMap(record.value.partitions));
        return;
      case 'cg-member': {
        const old = this.members.get(record.memberId);
        if (old !== undefined) {
          this.countSubscription(old, -1);
          this.countClassic(old, -1);
        }
        if (record.value === null) {
          if (old === undefined) return;
          this.release(old);
          this.setMember(record.memberId, undefined);
          if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === record.memberId) this.staticMembers.delete(old.instanceId);
          return;
        }
        const base = old ?? emptyMember(record.memberId);
        if (old?.instanceId != null && old.instanceId !== record.value.instanceId) this.staticMembers.delete(old.instanceId);
        const next: ConsumerMember = { ...base, ...record.value, memberId: record.memberId };
        this.setMember(record.memberId, next);
        this.countSubscription(next, 1);
        this.countClassic(next, 1);
        if (next.instanceId !== null) this.staticMembers.set(next.instanceId, record.memberId);
        return;
      }
      case 'cg-current': {
        const old = this.members.get(record.memberId) ?? emptyMember(record.memberId);
        this.release(old);
        const v = record.value;
        const next: ConsumerMember =
          v === null
            ? {
                ...old,
                memberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
                previousMemberEpoch: LEAVE_GROUP_MEMBER_EPOCH,
                state: MemberState.STABLE,
                assigned: new Map(),
                pendingRevocation: new Map(),
              }
            : {
                ...old,
                memberEpoch: v.memberEpoch,
                previousMemberEpoch: v.previousMemberEpoch,
                state: v.state,
                assigned: toPartitionMap(v.assigned),
                pendingRevocation: toPartitionMap(v.pendingRevocation),
              };
        this.setMember(record.memberId, next);
        this.own(next);
        return;
      }
    }
  }

  private countSubscription(m: ConsumerMember, delta: 1 | -1): void {
    for (const n of m.subscribedTopicNames) addCount(this.subscribedNames, n, delta);
    if (m.subscribedTopicRegex !== null && m.subscribedTopicRegex !== '') addCount(this.subscribedRegexes, m.subscribedTopicRegex, delta);
  }

  private countClassic(m: ConsumerMember, delta: 1 | -1): void {
    if (m.classicMemberMetadata === null) return;
    this.classicMembers += delta;
    for (const p of m.classicMemberMetadata.supportedProtocols) {
      const n = (this.classicProtocolSupport.get(p.name) ?? 0) + delta;
      if (n === 0) this.classicProtocolSupport.delete(p.name);
      else this.classicProtocolSupport.set(p.name, n);
    }
  }

  private release(m: ConsumerMember): void {
    for (const map of [m.assigned, m.pendingRevocation]) {
      for (const [t, ps] of map) {
        const owners = this.owners.get(t);
        if (owners === undefined) continue;
        for (const p of ps) if (owners.get(p) === m.memberId) owners.delete(p);
        if (owners.size === 0) this.owners.delete(t);
      }
    }
  }

  private own(m: ConsumerMember): void {
    for (const map of [m.assigned, m.pendingRevocation]) {
      for (const [t, ps] of map) {
        let owners = this.owners.get(t);
        if (owners === undefined) this.owners.set(t, (owners = new Map()));
        for (const p of ps) owners.set(p, m.memberId);
      }
    }
  }

  // -------------------------------------------------------------------------
  // Reads

  get classicMemberCount(): number {
    return this.classicMembers;
  }

  /**
   * Kafka's supportsClassicProtocols: a classic member may join when its protocol
   * type is "consumer" and one of its protocols is supported by every classic
   * member already in (any protocol when there is none).
   */
  supportsClassicProtocols(protocolType: string, names: readonly string[]): boolean {
    if (protocolType !== 'consumer') return false;
    if (this.classicMembers === 0) return names.length > 0;
    return names.some((n) => this.classicProtocolSupport.get(n) === this.classicMembers);
  }

  /** Kafka's allMembersUseClassicProtocolExcept: `memberId` is the only one on the consumer protocol. */
  allMembersUseClassicProtocolExcept(memberId: string): boolean {
    const m = this.members.get(memberId);
    return m !== undefined && m.classicMemberMetadata === null && this.classicMembers === this.members.size - 1;
  }

  /** An UNRELEASED member whose target holds a partition another member still owns. */
  waitingOnUnreleasedPartition(member: ConsumerMember): boolean {
    if (member.state !== MemberState.UNRELEASED_PARTITIONS) return false;
    for (const [t, ps] of this.targets.get(member.memberId) ?? []) {
      const mine = member.assigned.get(t);
      for (const p of ps) {
        if (mine?.has(p) === true) continue;
        const owner = this.ownerOf(t, p);
        if (owner !== undefined && owner !== member.memberId) return true;
      }
    }
    return false;
  }

  /** Topic names the group subscribes to by name or by a resolved regex, as last recorded. */
  isSubscribedTo(topic: string): boolean {
    return this.subscriptionMetadata.some((t) => t.name === topic);
  }

  /** Consumer groups: offsets of unsubscribed topics expire from their commit time. */
  readonly offsetsCanExpire = true;

  offsetExpirationBase(offset: OffsetAndMetadata): number | null {
    return offset.commitTimestamp;
  }

  listed(): ListedGroup {
    return { groupId: this.groupId, protocolType: 'consumer', groupState: this.state as never, groupType: 'consumer' };
  }

  /**
   * The test double's view (waitForGroupState, assignment), shaped like a classic
   * group's: generation = group epoch, protocol = the assignor, each member's
   * assignment = its assigned partitions as consumer-protocol bytes (topic names).
   */
  snapshot(assignorName: string, topicName: (topicId: string) => string | undefined, sessionTimeoutMs: number): GroupSnapshot {
    return {
      groupId: this.groupId,
      state: this.state,
      generationId: this.groupEpoch,
      protocolType: 'consumer',
      protocolName: assignorName,
      leaderId: null,
      stateTimestamp: null,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocols: [],
        assignment: assignmentBytes(m.assigned, topicName),
        awaitingJoin: false,
        awaitingSync: false,
      })),
      pendingMemberIds: [],
    };
  }

  describe(assignorName: string): DescribedConsumerGroup {
    return {
      groupId: this.groupId,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupState: this.state,
      groupEpoch: this.groupEpoch,
      assignmentEpoch: this.assignmentEpoch,
      assignorName,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: toPartitionList(m.assigned),
        targetAssignment: toPartitionList(this.targets.get(m.memberId) ?? new Map()),
      })),
    };
  }
}

/** Partitions by topic name (ids the view does not know are kept as ids). */
export function namedPartitions(map: PartitionMap, topicName: (topicId: string) => string | undefined): NamedPartitions {
  return toPartitionList(map).map((t) => ({ topic: topicName(t.topicId) ?? t.topicId, partitions: t.partitions }));
}

function assignmentBytes(assigned: PartitionMap, topicName: (topicId: string) => string | undefined): Uint8Array {
  return writeAssignment(namedPartitions(assigned, topicName), 0);
}

// ---------------------------------------------------------------------------
// Reconciliation (Kafka's CurrentAssignmentBuilder)

export interface ReconciledAssignment {
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberStateCode;
  readonly assigned: PartitionMap;
  readonly pendingRevocation: PartitionMap;
}

/**
 * The member's next current assignment toward `target` at `targetEpoch`.
 * Revocation comes first: while the member still reports (or may still own: a
 * null `owned`) a partition it must give up, it stays at its epoch with only the
 * kept partitions; one that already reports it gone (a classic member rejoins
 * owning nothing) moves on at once. A partition another member still owns is held back
 * (UNRELEASED) until that owner lets it go.
 */
export function reconcile(
  group: ConsumerGroup,
  member: ConsumerMember,
  targetEpoch: number,
  target: PartitionMap,
  owned: TopicPartitionList | null,
): ReconciledAssignment {
  switch (member.state) {
    case MemberState.STABLE:
      if (member.memberEpoch === targetEpoch) return member;
      break;
    case MemberState.UNREVOKED_PARTITIONS:
      if (ownsAny(owned, member.pendingRevocation)) return member;
      break;
  }
  if (member.pendingRevocation.size === 0 && partitionMapsEqual(member.assigned, target)) {
    // Only the epoch moves (most members in a rebalance): nothing to revoke or wait for.
    return { memberEpoch: targetEpoch, previousMemberEpoch: member.memberEpoch, state: MemberState.STABLE, assigned: member.assigned, pendingRevocation: member.pendingRevocation };
  }
  const kept: PartitionMap = new Map();
  const revoke: PartitionMap = new Map();
  const next: PartitionMap = new Map();
  let unreleased = false;
  for (const t of new Set([...target.keys(), ...member.assigned.keys()])) {
    const want = target.get(t) ?? new Set<number>();
    const have = member.assigned.get(t) ?? new Set<number>();
    for (const p of have) {
      if (want.has(p)) {
        addTo(kept, t, p);
        addTo(next, t, p);
      } else addTo(revoke, t, p);
    }
    for (const p of want) {
      if (have.has(p)) continue;
      const owner = group.ownerOf(t, p);
      if (owner === undefined || owner === member.memberId) addTo(next, t, p);
      else unreleased = true;
    }
  }
  if (revoke.size > 0 && ownsAny(owned, revoke)) {
    return {
      memberEpoch: member.memberEpoch,
      previousMemberEpoch: member.memberEpoch,
      state: MemberState.UNREVOKED_PARTITIONS,
      assigned: kept,
      pendingRevocation: revoke,
    };
  }
  return {
    memberEpoch: targetEpoch,
    previousMemberEpoch: member.memberEpoch,
    state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
    assigned: next,
    pendingRevocation: new Map(),
  };
}

function addCount(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}

function addTo(map: PartitionMap, t: string, p: number): void {
  let s = map.get(t);
  if (s === undefined) map.set(t, (s = new Set()));
  s.add(p);
}

/** Whether the reported owned partitions include any of `revoked` (null reports count as "still owns"). */
function ownsAny(owned: TopicPartitionList | null, revoked: PartitionMap): boolean {
  if (owned === null) return true;
  for (const t of owned) {
    const r = revoked.get(t.topicId);
    if (r !== undefined && t.partitions.some((p) => r.has(p))) return true;
  }
  return false;
}

export function sameAssignmentState(a: ReconciledAssignment, b: ReconciledAssignment): boolean {
  return (
    a.memberEpoch === b.memberEpoch &&
    a.previousMemberEpoch === b.previousMemberEpoch &&
    a.state === b.state &&
    partitionMapsEqual(a.assigned, b.assigned) &&
    partitionMapsEqual(a.pendingRevocation, b.pendingRevocation)
  );
}
