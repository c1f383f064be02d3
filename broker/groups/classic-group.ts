// One classic-protocol consumer group (JoinGroup/SyncGroup/Heartbeat/LeaveGroup),
// as a deterministic state machine: every entry point takes the request, the
// caller's `now` and a StepOutput, and appends to it the answers to deliver
// (tagged with the request handles the caller gave), the records to persist and
// the timers to set or cancel. No I/O, no clock reads, no timers of its own, so
// every path runs in tests in microseconds with a fake clock.
//
// Behaviour follows Apache Kafka's classic group coordinator (group-coordinator
// module, GroupMetadataManager + ClassicGroup); the facts reproduced here:
// - States and transitions: VALID_PREVIOUS_STATES (types.ts).
// - Member ids: `${clientId}-${uuid}`, or `${groupInstanceId}-${uuid}` for static
//   members. JoinGroup v4+ from an unknown dynamic member answers
//   MEMBER_ID_REQUIRED with a fresh id; that id is "pending" (it blocks the end of
//   the join phase) until it rejoins or its session timeout passes.
// - Protocol type must match the group's; some protocol must be supported by every
//   member, else INCONSISTENT_GROUP_PROTOCOL. The protocol is chosen by votes: each
//   member votes for the first of its protocols that all members support; the most
//   votes win (ties: the candidate that got its first vote earliest, in member order).
// - Leader: the first member added; kept while it stays; if it has not rejoined
//   when the join phase ends, the first rejoined member takes over.
// - Join phase ends when every known member has rejoined and no pending member is
//   outstanding, or at the rebalance timeout (max over members); dynamic members
//   that did not rejoin are then removed, static ones are kept. The first rebalance
//   of an Empty group waits group.initial.rebalance.delay.ms, extended by the same
//   delay while new members keep arriving, never beyond the rebalance timeout.
// - JoinGroup answers release the group into CompletingRebalance with generation
//   +1. SyncGroup from followers parks until the leader's SyncGroup brings the
//   assignment; then all parked SyncGroups are answered, the group is Stable and a
//   GroupMetadata record is written. Members that do not SyncGroup within the
//   rebalance timeout are removed and the group rebalances again.
// - Session timeout: every heartbeat, join and sync answer re-arms it; a member
//   whose JoinGroup or SyncGroup is parked is not expired (except brand-new
//   members, whose parked JoinGroup expires after newMemberJoinTimeoutMs).
// - Static members: a known group.instance.id joining with an unknown member id
//   replaces the old member id (its parked requests are answered
//   FENCED_INSTANCE_ID); in a Stable group whose selected protocol does not change
//   there is no rebalance: the member gets the current generation back (v9+ leader:
//   skipAssignment) and SyncGroup returns its old assignment. Any request carrying
//   an instance id with another member id is FENCED_INSTANCE_ID.
//
// Deliberate differences (robustness, not behaviour a client can rely on): Kafka
// leaves a superseded parked JoinGroup/SyncGroup of the same member (a client
// retry) unanswered and never answers a parked SyncGroup of a member removed by
// LeaveGroup; here they are answered (REBALANCE_IN_PROGRESS and UNKNOWN_MEMBER_ID)
// so that no parked request is ever left hanging. A static member replaced while
// it owed a SyncGroup passes that debt to its new member id.

import type { ConsumerGroupState } from './consumer-types.js';
import {
  EMPTY_BYTES,
  ErrorCode,
  StepOutput,
  UNKNOWN_MEMBER_ID,
  VALID_PREVIOUS_STATES,
  type DescribedGroup,
  type GroupCoordinatorConfig,
  type GroupMetadataValue,
  type GroupState,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type JoinGroupResponseMember,
  type JoinGroupResult,
  type JoinProtocol,
  type LeaveGroupMemberResult,
  type LeaveGroupRequest,
  type LeaveGroupResult,
  type ListedGroup,
  type OffsetAndMetadata,
  type RebalanceReason,
  type RebalanceReasonKind,
  type RequestHandle,
  type SubscriptionParser,
  type AssignmentParser,
  type ClassicMovedPartition,
  CLASSIC_REBALANCE_CAUSES,
  type SyncGroupRequest,
  type SyncGroupResult,
  type TimerId,
} from './types.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** What a group needs from its coordinator. */
export interface GroupContext {
  readonly config: GroupCoordinatorConfig;
  /** Random UUID string for member ids (injectable for deterministic tests). */
  newUuid(): string;
  readonly parseSubscription: SubscriptionParser | null;
  /** For the partitions moved in a rebalance's summary. */
  readonly parseAssignment: AssignmentParser | null;
}

export class IllegalStateTransition extends Error {
  override name = 'IllegalStateTransition';
}

const MAX_REASONS = 50;

export class ClassicMember {
  joinHandle: RequestHandle | null = null;
  syncHandle: RequestHandle | null = null;
  /** True from the first JoinGroup until its first join phase completes. */
  isNew = false;
  /** Session deadline last armed (informational). */
  sessionDeadline = -1;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly JoinProtocol[],
    public assignment: Uint8Array = EMPTY_BYTES,
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.joinHandle !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncHandle !== null;
  }

  /** Kafka: members with a parked JoinGroup/SyncGroup need no heartbeat, except new ones. */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.joinHandle !== null || this.syncHandle !== null;
  }

  metadataFor(protocolName: string): Uint8Array {
    for (const p of this.protocols) if (p.name === protocolName) return p.metadata;
    throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
  }

  // A member rejoins with the same subscription and keeps its assignment bytes
  // between rebalances: each is parsed once, not once per rebalance.
  private parsedSubscription: { bytes: Uint8Array; topics: readonly string[] | null } | null = null;
  private parsedAssignment: { bytes: Uint8Array; partitions: ReturnType<AssignmentParser> } | null = null;

  /** Topic names of its subscription for `protocolName`; null when they do not parse. */
  subscribedTopics(protocolName: string, parse: SubscriptionParser): readonly string[] | null {
    const bytes = this.metadataFor(protocolName);
    const cached = this.parsedSubscription;
    if (cached !== null && bytesEqual(cached.bytes, bytes)) return cached.topics;
    let topics: readonly string[] | null;
    try {
      topics = parse(bytes);
    } catch {
      topics = null;
    }
    this.parsedSubscription = { bytes, topics };
    return topics;
  }

  /** Its assignment as topic -> partitions. */
  assignedPartitions(parse: AssignmentParser): ReturnType<AssignmentParser> {
    const bytes = this.assignment;
    const cached = this.parsedAssignment;
    if (cached !== null && bytesEqual(cached.bytes, bytes)) return cached.partitions;
    const partitions = parse(bytes);
    this.parsedAssignment = { bytes, partitions };
    return partitions;
  }

  /** Same protocols, same order, same metadata bytes. */
  matches(protocols: readonly JoinProtocol[]): boolean {
    const mine = this.protocols;
    if (mine.length !== protocols.length) return false;
    for (let i = 0; i < mine.length; i++) {
      const a = mine[i]!;
      const b = protocols[i]!;
      if (a.name !== b.name || !bytesEqual(a.metadata, b.metadata)) return false;
    }
    return true;
  }

  vote(candidates: ReadonlySet<string>): string {
    for (const p of this.protocols) if (candidates.has(p.name)) return p.name;
    throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface RebalanceTracker {
  startedAt: number;
  fromGenerationId: number;
  generationsUsed: number;
  reasons: RebalanceReason[];
  reasonCount: number;
  /** Who owned what when the rebalance started. */
  ownersBefore: PartitionOwners;
}

/** Who owns each partition (topic -> partition -> member id), and the partitions in first-seen order. */
class PartitionOwners {
  private readonly byTopic = new Map<string, Map<number, string>>();
  readonly topics: string[] = [];
  readonly partitions: number[] = [];

  set(topic: string, owners: Map<number, string> | undefined, partition: number, memberId: string): Map<number, string> {
    if (owners === undefined) {
      owners = this.byTopic.get(topic);
      if (owners === undefined) this.byTopic.set(topic, (owners = new Map()));
    }
    if (!owners.has(partition)) {
      this.topics.push(topic);
      this.partitions.push(partition);
    }
    owners.set(partition, memberId);
    return owners;
  }

  get(topic: string, partition: number): string | undefined {
    return this.byTopic.get(topic)?.get(partition);
  }
}

/** A read-only view for tests, tools and describe. */
export interface GroupSnapshot {
  readonly groupId: string;
  /** A consumer group (KIP-848) reports Kafka's consumer group states. */
  readonly state: GroupState | ConsumerGroupState;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly stateTimestamp: number | null;
  readonly members: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly clientId: string;
    readonly clientHost: string;
    readonly sessionTimeoutMs: number;
    readonly rebalanceTimeoutMs: number;
    readonly protocols: readonly JoinProtocol[];
    readonly assignment: Uint8Array;
    readonly awaitingJoin: boolean;
    readonly awaitingSync: boolean;
  }[];
  readonly pendingMemberIds: readonly string[];
}

/** A JoinGroup answer that carries only an error (and the member id the client should use). */
export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class ClassicGroup {
  private _state: GroupState;
  private _previousState: GroupState = 'Dead';
  /** When the current state was entered (ms); null for groups loaded from records without one. */
  stateTimestamp: number | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;

  /** Insertion order matters: it is Kafka's (arbitrary) order made deterministic. */
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id -> member id */
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet rejoined. */
  private readonly pendingJoinMembers = new Set<string>();
  /** Members that got a JoinGroup answer for this generation and owe a SyncGroup. */
  private readonly pendingSyncMembers = new Set<string>();
  private awaitingJoinCount = 0;
  /** protocol name -> number of members supporting it */
  private readonly protocolSupport = new Map<string, number>();
  /** Subscribed topics of a "consumer" group, when known (see SubscriptionParser). */
  subscribedTopics: ReadonlySet<string> | null = null;

  private newMemberAdded = false;
  /** Set while the join timer runs as the initial-rebalance delay. */
  private initialDelay: { delayMs: number; remainingMs: number } | null = null;
  /** Generation the sync timer was armed for. */
  private syncTimerGeneration = -1;

  private rebalance: RebalanceTracker | null = null;
  private preReasons: RebalanceReason[] = [];

  private readonly joinTimer: TimerId;
  private readonly syncTimer: TimerId;

  constructor(
    readonly groupId: string,
    private readonly ctx: GroupContext,
    now: number | null,
    init?: {
      state: 'Empty' | 'Stable';
      generationId: number;
      protocolType: string | null;
      protocolName: string | null;
      leaderId: string | null;
    },
  ) {
    this._state = init?.state ?? 'Empty';
    this.stateTimestamp = now;
    this.generationId = init?.generationId ?? 0;
    this.protocolType = init?.protocolType ?? null;
    this.protocolName = init?.protocolName ?? null;
    this.leaderId = init?.leaderId ?? null;
    this.joinTimer = { kind: 'join', groupId };
    this.syncTimer = { kind: 'sync', groupId };
  }

  // -------------------------------------------------------------------------
  // Introspection

  get state(): GroupState {
    return this._state;
  }

  get previousState(): GroupState {
    return this._previousState;
  }

  get isEmpty(): boolean {
    return this._state === 'Empty';
  }

  /** A group with no protocol type, no members: created by simple offset commits. */
  get isSimpleGroup(): boolean {
    return this.protocolType === null && this.members.size === 0 && this.pendingJoinMembers.size === 0;
  }

  get usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount && this.pendingJoinMembers.size === 0;
  }

  /** Largest rebalance timeout of the members (the group's rebalance timeout). */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) if (m.rebalanceTimeoutMs > max) max = m.rebalanceTimeoutMs;
    return max;
  }

  /** OffsetDelete / expiry: unknown subscription of a consumer group counts as subscribed. */
  isSubscribedTo(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.usesConsumerProtocol;
  }

  snapshot(): GroupSnapshot {
    return {
      groupId: this.groupId,
      state: this._state,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      stateTimestamp: this.stateTimestamp,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocols: m.protocols,
        assignment: m.assignment,
        awaitingJoin: m.isAwaitingJoin,
        awaitingSync: m.isAwaitingSync,
      })),
      pendingMemberIds: [...this.pendingJoinMembers],
    };
  }

  describe(): DescribedGroup {
    const stable = this._state === 'Stable';
    const protocolName = this.protocolName;
    return {
      groupId: this.groupId,
      errorCode: ErrorCode.NONE,
      groupState: this._state,
      protocolType: this.protocolType ?? '',
      protocolData: stable && protocolName !== null ? protocolName : '',
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable && protocolName !== null ? m.metadataFor(protocolName) : EMPTY_BYTES,
        memberAssignment: m.assignment,
      })),
    };
  }

  listed(): ListedGroup {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', groupState: this._state, groupType: 'classic' };
  }

  // -------------------------------------------------------------------------
  // State transitions

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this._state);
  }

  transitionTo(target: GroupState, now: number): void {
    if (!VALID_PREVIOUS_STATES[target].includes(this._state)) {
      throw new IllegalStateTransition(
        `group ${this.groupId} cannot move from ${this._state} to ${target} (valid previous: ${VALID_PREVIOUS_STATES[target].join(', ')})`,
      );
    }
    this._previousState = this._state;
    this._state = target;
    this.stateTimestamp = now;
  }

  // -------------------------------------------------------------------------
  // Membership bookkeeping

  private incrementSupport(protocols: readonly JoinProtocol[]): void {
    for (const p of protocols) this.protocolSupport.set(p.name, (this.protocolSupport.get(p.name) ?? 0) + 1);
  }

  private decrementSupport(protocols: readonly JoinProtocol[]): void {
    for (const p of protocols) {
      const n = (this.protocolSupport.get(p.name) ?? 0) - 1;
      if (n <= 0) this.protocolSupport.delete(p.name);
      else this.protocolSupport.set(p.name, n);
    }
  }

  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this._state === 'Empty') return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const n = this.members.size;
    for (const p of protocols) if ((this.protocolSupport.get(p.name) ?? 0) === n) return true;
    return false;
  }

  private candidateProtocols(): Set<string> {
    const n = this.members.size;
    const out = new Set<string>();
    for (const [name, count] of this.protocolSupport) if (count === n) out.add(name);
    return out;
  }

  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  private computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    const parse = this.ctx.parseSubscription;
    const protocol = this.protocolName;
    if (parse === null || protocol === null) return null;
    const all = new Set<string>();
    for (const m of this.members.values()) {
      const topics = m.subscribedTopics(protocol, parse);
      if (topics === null) return null;
      for (const t of topics) all.add(t);
    }
    return all;
  }

  private addMemberToGroup(member: ClassicMember, joinHandle: RequestHandle | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.incrementSupport(member.protocols);
    member.joinHandle = joinHandle;
    if (joinHandle !== null) this.awaitingJoinCount++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  /**
   * Removes a member (or pending member) and its session timer. Any request it
   * still has parked is answered with UNKNOWN_MEMBER_ID (Kafka answers the parked
   * JoinGroup this way; see the header for the SyncGroup).
   */
  private removeMember(memberId: string, out: StepOutput): void {
    const m = this.members.get(memberId);
    if (m !== undefined) {
      if (m.joinHandle !== null) {
        out.responses.push({ kind: 'join', handle: m.joinHandle, body: joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID) });
        m.joinHandle = null;
        this.awaitingJoinCount--;
      }
      if (m.syncHandle !== null) {
        out.responses.push({ kind: 'sync', handle: m.syncHandle, body: syncError(ErrorCode.UNKNOWN_MEMBER_ID) });
        m.syncHandle = null;
      }
      this.members.delete(memberId);
      this.decrementSupport(m.protocols);
      if (m.groupInstanceId !== null) this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    out.cancelTimer({ kind: 'heartbeat', groupId: this.groupId, memberId });
  }

  private updateMember(
    member: ClassicMember,
    protocols: readonly JoinProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    joinHandle: RequestHandle,
    out: StepOutput,
  ): void {
    this.decrementSupport(member.protocols);
    member.protocols = protocols;
    this.incrementSupport(protocols);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (member.joinHandle !== null) {
      // A retried JoinGroup supersedes the parked one (see header).
      out.responses.push({ kind: 'join', handle: member.joinHandle, body: joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS) });
    } else {
      this.awaitingJoinCount++;
    }
    member.joinHandle = joinHandle;
  }

  private completeJoin(member: ClassicMember, body: JoinGroupResult, out: StepOutput): boolean {
    if (member.joinHandle === null) return false;
    out.responses.push({ kind: 'join', handle: member.joinHandle, body });
    member.joinHandle = null;
    this.awaitingJoinCount--;
    return true;
  }

  private armSession(member: ClassicMember, timeoutMs: number, now: number, out: StepOutput): void {
    member.sessionDeadline = now + timeoutMs;
    out.setTimer({ kind: 'heartbeat', groupId: this.groupId, memberId: member.memberId }, member.sessionDeadline);
  }

  /** Re-arms the session timers of every member (after loading from records). */
  armAllSessions(now: number, out: StepOutput): void {
    for (const m of this.members.values()) this.armSession(m, m.sessionTimeoutMs, now, out);
  }

  private validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (existing !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!this.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    return ErrorCode.NONE;
  }

  private currentMembersForLeader(): JoinGroupResponseMember[] {
    const protocol = this.protocolName;
    if (protocol === null) return [];
    const list: JoinGroupResponseMember[] = new Array(this.members.size);
    let i = 0;
    for (const m of this.members.values()) {
      list[i++] = { memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(protocol) };
    }
    return list;
  }

  private currentGenerationAnswer(memberId: string, withMembers: boolean, leader: string | null, skipAssignment: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: leader ?? '',
      skipAssignment,
      memberId,
      members: withMembers ? this.currentMembersForLeader() : [],
    };
  }

  // -------------------------------------------------------------------------
  // Rebalance history

  note(kind: RebalanceReasonKind, now: number, memberId?: string, groupInstanceId?: string | null, detail?: string | null): void {
    const reason: RebalanceReason = {
      kind,
      at: now,
      ...(memberId !== undefined ? { memberId } : {}),
      ...(groupInstanceId != null ? { groupInstanceId } : {}),
      ...(detail != null && detail !== '' ? { detail } : {}),
    };
    const r = this.rebalance;
    if (r !== null) {
      r.reasonCount++;
      if (r.reasons.length < MAX_REASONS) r.reasons.push(reason);
    } else if (this.preReasons.length < MAX_REASONS) {
      this.preReasons.push(reason);
    }
  }

  /** Called by the coordinator after every event: reasons that started nothing are dropped. */
  endEvent(): void {
    if (this.preReasons.length > 0) this.preReasons = [];
  }

  /** Who owns each partition by the members' current assignments (consumer protocol type only). */
  private partitionOwners(): PartitionOwners {
    const owners = new PartitionOwners();
    const parse = this.ctx.parseAssignment;
    if (parse === null || !this.usesConsumerProtocol) return owners;
    for (const m of this.members.values()) {
      if (m.assignment.length === 0) continue;
      for (const [topic, partitions] of m.assignedPartitions(parse) ?? []) {
        let ofTopic: Map<number, string> | undefined;
        for (const p of partitions) ofTopic = owners.set(topic, ofTopic, p, m.memberId);
      }
    }
    return owners;
  }

  private startTracking(now: number): void {
    if (this.rebalance !== null) return;
    this.rebalance = {
      startedAt: now,
      fromGenerationId: this.generationId,
      generationsUsed: 0,
      reasons: this.preReasons,
      reasonCount: this.preReasons.length,
      ownersBefore: this.partitionOwners(),
    };
    this.preReasons = [];
  }

  private finishTracking(outcome: 'Stable' | 'Empty', now: number, out: StepOutput): void {
    const r = this.rebalance;
    if (r === null) return;
    this.rebalance = null;
    const before = r.ownersBefore;
    const after = this.partitionOwners();
    const partitionsMoved: ClassicMovedPartition[] = [];
    // Partitions owned before (in first-seen order), then those only owned after.
    for (let i = 0; i < before.topics.length; i++) {
      const topic = before.topics[i]!;
      const partition = before.partitions[i]!;
      const from = before.get(topic, partition)!;
      const to = after.get(topic, partition) ?? null;
      if (from !== to) partitionsMoved.push({ topic, partition, from, to });
    }
    for (let i = 0; i < after.topics.length; i++) {
      const topic = after.topics[i]!;
      const partition = after.partitions[i]!;
      if (before.get(topic, partition) === undefined) partitionsMoved.push({ topic, partition, from: null, to: after.get(topic, partition)! });
    }
    const first = r.reasons[0];
    out.rebalances.push({
      protocol: 'classic',
      cause: first === undefined ? null : CLASSIC_REBALANCE_CAUSES[first.kind],
      partitionsMoved,
      groupId: this.groupId,
      generationId: this.generationId,
      fromGenerationId: r.fromGenerationId,
      outcome,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      memberIds: [...this.members.keys()],
      startedAt: r.startedAt,
      completedAt: now,
      pausedMs: now - r.startedAt,
      generationsUsed: r.generationsUsed,
      reasons: r.reasons,
      reasonCount: r.reasonCount,
    });
  }

  // -------------------------------------------------------------------------
  // JoinGroup

  private acceptJoiningMember(memberId: string): boolean {
    const max = this.ctx.config.maxGroupSize;
    switch (this._state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance': {
        const m = this.members.get(memberId);
        return (m !== undefined && m.isAwaitingJoin) || this.awaitingJoinCount < max;
      }
      case 'CompletingRebalance':
      case 'Stable':
        return this.members.has(memberId) || this.members.size < max;
    }
  }

  /** JoinGroup for this group (the coordinator has checked group id and session timeout). */
  join(req: JoinGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    const memberId = req.memberId;
    if (!this.acceptJoiningMember(memberId)) {
      const wasMember = this.members.has(memberId) || this.pendingJoinMembers.has(memberId);
      if (wasMember) {
        this.note('group-max-size', now, memberId, req.groupInstanceId);
        this.removeMember(memberId, out);
      }
      out.responses.push({ kind: 'join', handle, body: joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED) });
      return;
    }
    if (memberId === UNKNOWN_MEMBER_ID) this.joinNewMember(req, handle, now, out);
    else this.joinExistingMember(req, handle, now, out);
  }

  private joinNewMember(req: JoinGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    if (this._state === 'Dead') {
      out.responses.push({ kind: 'join', handle, body: joinError(UNKNOWN_MEMBER_ID, ErrorCode.COORDINATOR_NOT_AVAILABLE) });
      return;
    }
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      out.responses.push({ kind: 'join', handle, body: joinError(UNKNOWN_MEMBER_ID, ErrorCode.INCONSISTENT_GROUP_PROTOCOL) });
      return;
    }
    const instanceId = req.groupInstanceId;
    const newMemberId = `${instanceId ?? req.clientId}-${this.ctx.newUuid()}`;
    if (instanceId !== null) {
      const existing = this.staticMembers.get(instanceId);
      if (existing !== undefined) this.replaceStaticMember(req, existing, newMemberId, handle, now, out);
      else this.addMemberThenRebalanceOrCompleteJoin(req, newMemberId, handle, now, out);
      return;
    }
    if (req.apiVersion >= 4) {
      // The member must come back with this id; until then it is pending.
      this.pendingJoinMembers.add(newMemberId);
      out.setTimer({ kind: 'heartbeat', groupId: this.groupId, memberId: newMemberId }, now + req.sessionTimeoutMs);
      out.responses.push({ kind: 'join', handle, body: joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED) });
      return;
    }
    this.addMemberThenRebalanceOrCompleteJoin(req, newMemberId, handle, now, out);
  }

  private joinExistingMember(req: JoinGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    const memberId = req.memberId;
    if (this._state === 'Dead') {
      out.responses.push({ kind: 'join', handle, body: joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE) });
      return;
    }
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      out.responses.push({ kind: 'join', handle, body: joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL) });
      return;
    }
    if (this.pendingJoinMembers.has(memberId)) {
      if (req.groupInstanceId !== null) {
        // Kafka raises an IllegalStateException here: a pending member is never static.
        out.responses.push({ kind: 'join', handle, body: joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR) });
        return;
      }
      this.addMemberThenRebalanceOrCompleteJoin(req, memberId, handle, now, out);
      return;
    }
    const error = this.validateMember(memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) {
      out.responses.push({ kind: 'join', handle, body: joinError(memberId, error) });
      return;
    }
    const member = this.members.get(memberId)!;
    switch (this._state) {
      case 'PreparingRebalance':
        this.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, handle, out);
        this.maybePrepareRebalanceOrCompleteJoin(now, out);
        return;
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) {
          // Lost its JoinGroup answer: hand it the current generation again.
          out.responses.push({
            kind: 'join',
            handle,
            body: this.currentGenerationAnswer(memberId, this.leaderId === memberId, this.leaderId, false),
          });
        } else {
          this.note('member-rejoined-with-new-metadata', now, memberId, member.groupInstanceId, req.reason);
          this.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, handle, out);
          this.maybePrepareRebalanceOrCompleteJoin(now, out);
        }
        return;
      case 'Stable':
        if (this.leaderId === memberId || !member.matches(req.protocols)) {
          // The leader may rejoin to force a rebalance (e.g. topic metadata changed).
          this.note(
            this.leaderId === memberId ? 'leader-rejoined' : 'member-rejoined-with-new-metadata',
            now,
            memberId,
            member.groupInstanceId,
            req.reason,
          );
          this.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, handle, out);
          this.maybePrepareRebalanceOrCompleteJoin(now, out);
        } else {
          out.responses.push({ kind: 'join', handle, body: this.currentGenerationAnswer(memberId, false, this.leaderId, false) });
        }
        return;
      case 'Empty':
        // Unexpected (an Empty group has no members): let the member reset and rejoin.
        out.responses.push({ kind: 'join', handle, body: joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID) });
        return;
    }
  }

  private addMemberThenRebalanceOrCompleteJoin(
    req: JoinGroupRequest,
    memberId: string,
    handle: RequestHandle,
    now: number,
    out: StepOutput,
  ): void {
    const member = new ClassicMember(
      memberId,
      req.groupInstanceId,
      req.clientId,
      req.clientHost,
      req.rebalanceTimeoutMs,
      req.sessionTimeoutMs,
      req.protocolType,
      req.protocols,
    );
    member.isNew = true;
    if (this._state === 'PreparingRebalance' && this._previousState === 'Empty') this.newMemberAdded = true;
    this.addMemberToGroup(member, handle);
    // A parked JoinGroup hides a dead client; bound how long a new one may wait.
    this.armSession(member, this.ctx.config.newMemberJoinTimeoutMs, now, out);
    this.note('member-joined', now, memberId, req.groupInstanceId, req.reason);
    this.maybePrepareRebalanceOrCompleteJoin(now, out);
  }

  private replaceStaticMember(
    req: JoinGroupRequest,
    oldMemberId: string,
    newMemberId: string,
    handle: RequestHandle,
    now: number,
    out: StepOutput,
  ): void {
    const instanceId = req.groupInstanceId!;
    const previousLeader = this.leaderId;
    const old = this.members.get(oldMemberId)!;

    // Fence whatever the old incarnation still has parked.
    if (old.joinHandle !== null) {
      out.responses.push({ kind: 'join', handle: old.joinHandle, body: joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID) });
      old.joinHandle = null;
      this.awaitingJoinCount--;
    }
    if (old.syncHandle !== null) {
      out.responses.push({ kind: 'sync', handle: old.syncHandle, body: syncError(ErrorCode.FENCED_INSTANCE_ID) });
      old.syncHandle = null;
    }
    this.members.delete(oldMemberId);
    out.cancelTimer({ kind: 'heartbeat', groupId: this.groupId, memberId: oldMemberId });

    const member = new ClassicMember(
      newMemberId,
      instanceId,
      old.clientId,
      old.clientHost,
      old.rebalanceTimeoutMs,
      old.sessionTimeoutMs,
      old.protocolType,
      old.protocols,
      old.assignment,
    );
    this.members.set(newMemberId, member);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(instanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.armSession(member, member.sessionTimeoutMs, now, out);

    this.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, handle, out);

    switch (this._state) {
      case 'Stable': {
        const selected = this.selectProtocol();
        if (selected === this.protocolName) {
          // No rebalance: persist the new member id and answer at once.
          out.records.push(this.metadataRecord());
          const isLeader = this.leaderId === newMemberId;
          const body =
            req.apiVersion >= 9
              ? this.currentGenerationAnswer(newMemberId, isLeader, this.leaderId, isLeader)
              : this.currentGenerationAnswer(newMemberId, false, previousLeader, false);
          this.completeJoin(member, body, out);
        } else {
          this.note('static-member-replaced', now, newMemberId, instanceId, req.reason);
          this.maybePrepareRebalanceOrCompleteJoin(now, out);
        }
        return;
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: start over.
        this.note('static-member-replaced', now, newMemberId, instanceId, req.reason);
        this.prepareRebalance(now, out);
        return;
      case 'PreparingRebalance':
        this.maybeCompleteJoinPhase(now, out);
        return;
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${this.groupId} in state ${this._state} has static member ${instanceId}`);
    }
  }

  private maybePrepareRebalanceOrCompleteJoin(now: number, out: StepOutput): void {
    if (this.canRebalance()) this.prepareRebalance(now, out);
    else this.maybeCompleteJoinPhase(now, out);
  }

  private maybeCompleteJoinPhase(now: number, out: StepOutput): void {
    if (this._state !== 'PreparingRebalance') return;
    if (this._previousState === 'Empty') return; // the initial delay decides
    if (!this.hasAllMembersJoined()) return;
    this.completeJoinPhase(now, out);
  }

  /** Enters PreparingRebalance (from Empty, Stable or CompletingRebalance). */
  prepareRebalance(now: number, out: StepOutput): void {
    if (this._state === 'CompletingRebalance') this.resetAndPropagateAssignmentWithError(ErrorCode.REBALANCE_IN_PROGRESS, now, out);
    this.removeSyncExpiration(out);
    const initial = this._state === 'Empty';
    if (initial) {
      const delayMs = this.ctx.config.initialRebalanceDelayMs;
      this.initialDelay = { delayMs, remainingMs: Math.max(this.rebalanceTimeoutMs() - delayMs, 0) };
      out.setTimer(this.joinTimer, now + delayMs);
    }
    this.transitionTo('PreparingRebalance', now);
    this.startTracking(now);
    if (!initial) {
      if (this.hasAllMembersJoined()) {
        this.completeJoinPhase(now, out);
      } else {
        this.initialDelay = null;
        out.setTimer(this.joinTimer, now + this.rebalanceTimeoutMs());
      }
    }
  }

  /** The join timer fired. */
  onJoinTimer(now: number, out: StepOutput): void {
    if (this._state !== 'PreparingRebalance') return;
    const d = this.initialDelay;
    if (d !== null && this.newMemberAdded && d.remainingMs !== 0) {
      // Someone joined during the delay: wait a little longer, within the rebalance timeout.
      this.newMemberAdded = false;
      const delayMs = Math.min(this.ctx.config.initialRebalanceDelayMs, d.remainingMs);
      const remainingMs = Math.max(d.remainingMs - d.delayMs, 0);
      this.initialDelay = { delayMs, remainingMs };
      out.setTimer(this.joinTimer, now + delayMs);
      return;
    }
    this.completeJoinPhase(now, out);
  }

  /** Ends the join phase: drops laggards, bumps the generation, answers parked JoinGroups. */
  private completeJoinPhase(now: number, out: StepOutput): void {
    out.cancelTimer(this.joinTimer);
    this.initialDelay = null;
    this.newMemberAdded = false;

    let laggards: ClassicMember[] | null = null;
    if (this.awaitingJoinCount !== this.members.size) {
      for (const m of this.members.values()) {
        if (m.joinHandle === null && m.groupInstanceId === null) (laggards ??= []).push(m);
      }
    }
    if (laggards !== null) {
      for (const m of laggards) {
        this.note('not-rejoined-in-time', now, m.memberId);
        this.removeMember(m.memberId, out);
      }
    }

    if (this._state === 'Dead') return;
    if (!this.maybeElectNewJoinedLeader() && this.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them (or their session timeout).
      out.setTimer(this.joinTimer, now + this.rebalanceTimeoutMs());
      return;
    }

    this.initNextGeneration(now);
    if (this.rebalance !== null) this.rebalance.generationsUsed++;
    if (this._state === 'Empty') {
      out.records.push(this.metadataRecord());
      this.finishTracking('Empty', now, out);
      return;
    }

    const leaderId = this.leaderId;
    const leaderMembers = this.currentMembersForLeader();
    for (const m of this.members.values()) {
      const isLeader = m.memberId === leaderId;
      this.completeJoin(
        m,
        {
          errorCode: ErrorCode.NONE,
          generationId: this.generationId,
          protocolType: this.protocolType,
          protocolName: this.protocolName,
          leader: leaderId ?? '',
          skipAssignment: false,
          memberId: m.memberId,
          members: isLeader ? leaderMembers : [],
        },
        out,
      );
      this.armSession(m, m.sessionTimeoutMs, now, out);
      m.isNew = false;
      this.pendingSyncMembers.add(m.memberId);
    }
    this.syncTimerGeneration = this.generationId;
    out.setTimer(this.syncTimer, now + this.rebalanceTimeoutMs());
  }

  private maybeElectNewJoinedLeader(): boolean {
    const leaderId = this.leaderId;
    if (leaderId === null) return false;
    const leader = this.members.get(leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  private initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', now);
    }
    this.pendingSyncMembers.clear();
  }

  // -------------------------------------------------------------------------
  // SyncGroup

  /** SyncGroup for this group (the coordinator has answered missing/Empty groups). */
  sync(req: SyncGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    const error = this.validateSync(req);
    if (error !== ErrorCode.NONE) {
      out.responses.push({ kind: 'sync', handle, body: syncError(error) });
      return;
    }
    const memberId = req.memberId;
    const member = this.members.get(memberId)!;
    switch (this._state) {
      case 'PreparingRebalance':
        out.responses.push({ kind: 'sync', handle, body: syncError(ErrorCode.REBALANCE_IN_PROGRESS) });
        return;
      case 'CompletingRebalance': {
        if (member.syncHandle !== null) {
          out.responses.push({ kind: 'sync', handle: member.syncHandle, body: syncError(ErrorCode.REBALANCE_IN_PROGRESS) });
        }
        member.syncHandle = handle;
        this.removePendingSync(memberId, out);
        if (this.leaderId === memberId) {
          const assignment = new Map<string, Uint8Array>();
          for (const a of req.assignments) assignment.set(a.memberId, a.assignment);
          for (const m of this.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
          out.records.push(this.metadataRecord());
          this.propagateAssignment(ErrorCode.NONE, now, out);
          this.transitionTo('Stable', now);
          this.finishTracking('Stable', now, out);
        }
        return;
      }
      case 'Stable':
        this.removePendingSync(memberId, out);
        out.responses.push({
          kind: 'sync',
          handle,
          body: { errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: member.assignment },
        });
        return;
      case 'Empty':
      case 'Dead':
        out.responses.push({ kind: 'sync', handle, body: syncError(ErrorCode.UNKNOWN_MEMBER_ID) });
        return;
    }
  }

  private validateSync(req: SyncGroupRequest): number {
    if (this._state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = this.validateMember(req.memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (req.generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (isProtocolInconsistent(req.protocolType, this.protocolType) || isProtocolInconsistent(req.protocolName, this.protocolName)) {
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    }
    return ErrorCode.NONE;
  }

  private removePendingSync(memberId: string, out: StepOutput): void {
    this.pendingSyncMembers.delete(memberId);
    if (this.pendingSyncMembers.size === 0) out.cancelTimer(this.syncTimer);
  }

  private removeSyncExpiration(out: StepOutput): void {
    this.pendingSyncMembers.clear();
    out.cancelTimer(this.syncTimer);
  }

  private resetAndPropagateAssignmentWithError(errorCode: number, now: number, out: StepOutput): void {
    for (const m of this.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(errorCode, now, out);
  }

  private propagateAssignment(errorCode: number, now: number, out: StepOutput): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of this.members.values()) {
      if (m.syncHandle === null) continue;
      out.responses.push({
        kind: 'sync',
        handle: m.syncHandle,
        body: {
          errorCode,
          protocolType: ok ? this.protocolType : null,
          protocolName: ok ? this.protocolName : null,
          assignment: m.assignment,
        },
      });
      m.syncHandle = null;
      this.armSession(m, m.sessionTimeoutMs, now, out);
    }
  }

  /** The sync timer fired: drop members that never sent SyncGroup and rebalance. */
  onSyncTimer(now: number, out: StepOutput): void {
    if (this.syncTimerGeneration !== this.generationId) return;
    if (this._state !== 'CompletingRebalance' && this._state !== 'Stable') return;
    if (this.pendingSyncMembers.size === 0) return;
    for (const memberId of [...this.pendingSyncMembers]) {
      const m = this.members.get(memberId);
      this.note('not-synced-in-time', now, memberId, m?.groupInstanceId ?? null);
      this.removeMember(memberId, out);
    }
    this.prepareRebalance(now, out);
  }

  // -------------------------------------------------------------------------
  // Heartbeat

  heartbeat(req: HeartbeatRequest, now: number, out: StepOutput): number {
    if (this._state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = this.validateMember(req.memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (req.generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = this.members.get(req.memberId)!;
    switch (this._state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.armSession(member, member.sessionTimeoutMs, now, out);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        // CompletingRebalance counts too: members heartbeat once they have their JoinGroup answer.
        this.armSession(member, member.sessionTimeoutMs, now, out);
        return ErrorCode.NONE;
    }
  }

  /** Offset commits keep the session alive in Stable and PreparingRebalance (Kafka). */
  touchFromOffsetCommit(memberId: string, now: number, out: StepOutput): void {
    if (this._state !== 'Stable' && this._state !== 'PreparingRebalance') return;
    const m = this.members.get(memberId);
    if (m !== undefined) this.armSession(m, m.sessionTimeoutMs, now, out);
  }

  // -------------------------------------------------------------------------
  // Session expiry

  onSessionTimer(memberId: string, now: number, out: StepOutput): void {
    if (this._state === 'Dead') return;
    if (this.pendingJoinMembers.has(memberId)) {
      this.pendingJoinMembers.delete(memberId);
      if (this._state === 'PreparingRebalance' && this.hasAllMembersJoined()) this.completeJoinPhase(now, out);
      return;
    }
    const member = this.members.get(memberId);
    if (member === undefined || member.hasSatisfiedHeartbeat) return;
    this.note('session-timeout', now, memberId, member.groupInstanceId);
    this.removeMember(memberId, out);
    if (this._state === 'Stable' || this._state === 'CompletingRebalance') this.maybePrepareRebalanceOrCompleteJoin(now, out);
    else if (this._state === 'PreparingRebalance' && this.hasAllMembersJoined()) this.completeJoinPhase(now, out);
  }

  // -------------------------------------------------------------------------
  // LeaveGroup

  leave(req: LeaveGroupRequest, now: number, out: StepOutput): LeaveGroupResult {
    if (this._state === 'Dead') return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: LeaveGroupMemberResult[] = [];
    let anyLeft = false;
    for (const who of req.members) {
      let errorCode: number = ErrorCode.NONE;
      if (who.memberId === UNKNOWN_MEMBER_ID) {
        // Administrative removal by group.instance.id.
        const id = who.groupInstanceId !== null ? this.staticMembers.get(who.groupInstanceId) : undefined;
        if (id !== undefined) {
          this.note('member-left', now, id, who.groupInstanceId, who.reason);
          this.removeMember(id, out);
        } else {
          errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        }
      } else if (this.pendingJoinMembers.has(who.memberId)) {
        this.removeMember(who.memberId, out);
      } else {
        errorCode = this.validateMember(who.memberId, who.groupInstanceId);
        if (errorCode === ErrorCode.NONE) {
          this.note('member-left', now, who.memberId, who.groupInstanceId, who.reason);
          this.removeMember(who.memberId, out);
        }
      }
      if (errorCode === ErrorCode.NONE) anyLeft = true;
      results.push({ memberId: who.memberId, groupInstanceId: who.groupInstanceId, errorCode });
    }
    if (anyLeft) {
      if (this._state === 'Stable' || this._state === 'CompletingRebalance') this.maybePrepareRebalanceOrCompleteJoin(now, out);
      else if (this._state === 'PreparingRebalance') this.maybeCompleteJoinPhase(now, out);
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // -------------------------------------------------------------------------
  // Offsets support

  /**
   * Kafka's ClassicGroup.validateOffsetCommit. A transactional commit (TxnOffsetCommit)
   * below v3 names no member, so without one it is accepted in any state, and
   * the group's state is not enforced for it.
   */
  validateOffsetCommit(memberId: string, groupInstanceId: string | null, generationId: number, transactional = false): number {
    if (this._state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && this._state === 'Empty') return ErrorCode.NONE;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const error = this.validateMember(memberId, groupInstanceId);
      if (error !== ErrorCode.NONE) return error;
      if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!transactional && this._state !== 'Empty') {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (!transactional && this._state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * Kafka's offset expiration condition: returns the timestamp an offset's
   * retention counts from, or null when offsets of this group must not expire now.
   */
  offsetExpirationBase(offset: OffsetAndMetadata): number | null {
    if (this.protocolType !== null) {
      if (this._state === 'Empty') return this.stateTimestamp ?? offset.commitTimestamp;
      if (this.usesConsumerProtocol && this.subscribedTopics !== null && this._state === 'Stable') return offset.commitTimestamp;
      return null;
    }
    return offset.commitTimestamp;
  }

  /** Whether any offset of this group can expire at all right now. */
  get offsetsCanExpire(): boolean {
    if (this.protocolType === null) return true;
    if (this._state === 'Empty') return true;
    return this.usesConsumerProtocol && this.subscribedTopics !== null && this._state === 'Stable';
  }

  // -------------------------------------------------------------------------
  // Records

  /** The GroupMetadata value for the group as it is now (members with their current assignment). */
  metadataValue(): GroupMetadataValue {
    const protocol = this.protocolName;
    const members: GroupMetadataValue['members'][number][] = [];
    for (const m of this.members.values()) {
      if (protocol === null) throw new Error(`group ${this.groupId} has members but no protocol`);
      members.push({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadataFor(protocol),
        assignment: m.assignment,
      });
    }
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.leaderId,
      currentStateTimestamp: this.stateTimestamp ?? -1,
      members,
    };
  }

  metadataRecord(): { type: 'group-metadata'; groupId: string; value: GroupMetadataValue } {
    return { type: 'group-metadata', groupId: this.groupId, value: this.metadataValue() };
  }

  /** Builds a group from its last GroupMetadata record (replay). */
  static fromRecord(groupId: string, value: GroupMetadataValue, ctx: GroupContext): ClassicGroup {
    const group = new ClassicGroup(groupId, ctx, value.currentStateTimestamp === -1 ? null : value.currentStateTimestamp, {
      state: value.members.length === 0 ? 'Empty' : 'Stable',
      generationId: value.generation,
      protocolType: value.protocolType === '' ? null : value.protocolType,
      protocolName: value.protocol,
      leaderId: value.leader,
    });
    for (const mm of value.members) {
      const member = new ClassicMember(
        mm.memberId,
        mm.groupInstanceId,
        mm.clientId,
        mm.clientHost,
        mm.rebalanceTimeout === -1 ? mm.sessionTimeout : mm.rebalanceTimeout,
        mm.sessionTimeout,
        value.protocolType,
        [{ name: value.protocol ?? '', metadata: mm.subscription }],
        mm.assignment,
      );
      group.addMemberToGroup(member, null);
    }
    // addMemberToGroup may have set these from the first member; the record wins.
    group.leaderId = value.leader;
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }

  // -------------------------------------------------------------------------
  // Shutdown / deletion

  /** Moves to Dead; parked requests are answered with `errorCode` (NOT_COORDINATOR on unload). */
  markDead(now: number, errorCode: number, out: StepOutput): void {
    for (const m of this.members.values()) {
      if (m.joinHandle !== null) {
        out.responses.push({ kind: 'join', handle: m.joinHandle, body: joinError(m.memberId, errorCode) });
        m.joinHandle = null;
        this.awaitingJoinCount--;
      }
      if (m.syncHandle !== null) {
        out.responses.push({ kind: 'sync', handle: m.syncHandle, body: syncError(errorCode) });
        m.syncHandle = null;
      }
      out.cancelTimer({ kind: 'heartbeat', groupId: this.groupId, memberId: m.memberId });
    }
    for (const id of this.pendingJoinMembers) out.cancelTimer({ kind: 'heartbeat', groupId: this.groupId, memberId: id });
    out.cancelTimer(this.joinTimer);
    out.cancelTimer(this.syncTimer);
    this.transitionTo('Dead', now);
  }
}

function isProtocolInconsistent(fromRequest: string | null, fromGroup: string | null): boolean {
  return fromRequest !== null && fromGroup !== null && fromRequest !== fromGroup;
}
