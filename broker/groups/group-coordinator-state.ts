// The group coordinator's whole state (every classic group and every committed
// offset) as a deterministic machine: `step(event, now)` returns a StepOutput with
// the answers to deliver (by request handle), the records to append to
// __consumer_offsets (domain form), the timers to set/cancel and the rebalances
// that completed. It never reads a clock, never schedules anything, never logs.
// The driver (coordinator.ts) owns the clock, the timers, the promises and the log.
//
// Request-level checks done here, before the group (Kafka's GroupCoordinatorService
// and KafkaApis): empty group id -> INVALID_GROUP_ID (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, OffsetDelete); session timeout outside
// [group.min.session.timeout.ms, group.max.session.timeout.ms] ->
// INVALID_SESSION_TIMEOUT; SyncGroup v5+ without protocolType/protocolName ->
// INCONSISTENT_GROUP_PROTOCOL (checked first, as KafkaApis does). Not done here (the handlers' job): authorization,
// unknown topics/partitions in OffsetCommit/OffsetDelete (UNKNOWN_TOPIC_OR_PARTITION
// needs the metadata), version-specific field defaults.
//
// Records: offset commits/tombstones and group tombstones change the state by being
// applied (the same code replay uses); GroupMetadata values are derived from the
// live group and only applied on replay, as in Kafka.

import { ClassicGroup, joinError, type GroupContext, type GroupSnapshot } from './classic-group.js';
import { OffsetStore } from './offset-store.js';
import { ConsumerGroup } from './consumer-group.js';
import { ConsumerGroupHeartbeats, consumerGroupTombstones } from './consumer-heartbeat.js';
import { ClassicMembersOfConsumerGroups } from './consumer-classic-members.js';
import {
  NO_TOPICS,
  type ConsumerGroupConfigLookup,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupRecord,
  type ConsumerGroupTimeouts,
  type DescribedConsumerGroup,
  type TopicMetadataView,
} from './consumer-types.js';
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  ErrorCode,
  StepOutput,
  UNKNOWN_MEMBER_ID,
  type CoordinatorRecord,
  type DeleteGroupResult,
  type DescribedGroup,
  type GroupCoordinatorConfig,
  type GroupState,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type LeaveGroupRequest,
  type ListedGroup,
  type OffsetAndMetadata,
  type OffsetCommitRequest,
  type OffsetDeleteRequest,
  type OffsetFetchPartitionResult,
  type OffsetFetchRequest,
  type OffsetFetchResult,
  type RequestHandle,
  type SubscriptionParser,
  type AssignmentParser,
  type SyncGroupRequest,
  type TimerId,
  type TopicPartitionErrors,
  type TxnProducerEpoch,
} from './types.js';

export type CoordinatorEvent =
  | { readonly type: 'join'; readonly handle: RequestHandle; readonly request: JoinGroupRequest }
  | { readonly type: 'sync'; readonly handle: RequestHandle; readonly request: SyncGroupRequest }
  | { readonly type: 'heartbeat'; readonly handle: RequestHandle; readonly request: HeartbeatRequest }
  | { readonly type: 'leave'; readonly handle: RequestHandle; readonly request: LeaveGroupRequest }
  | { readonly type: 'offset-commit'; readonly handle: RequestHandle; readonly request: OffsetCommitRequest }
  /** TxnOffsetCommit: the offsets stay pending per (group, producer id) until the transaction's marker. */
  | { readonly type: 'txn-offset-commit'; readonly handle: RequestHandle; readonly request: OffsetCommitRequest; readonly producer: TxnProducerEpoch }
  /** A transaction marker landed on this shard's __consumer_offsets partition: its pending offsets apply (commit) or go. */
  | { readonly type: 'txn-marker'; readonly producerId: bigint; readonly commit: boolean }
  | { readonly type: 'offset-delete'; readonly handle: RequestHandle; readonly request: OffsetDeleteRequest }
  | { readonly type: 'delete-groups'; readonly handle: RequestHandle; readonly groupIds: readonly string[] }
  | { readonly type: 'consumer-heartbeat'; readonly handle: RequestHandle; readonly request: ConsumerGroupHeartbeatRequest }
  | { readonly type: 'timer'; readonly timer: TimerId }
  /** Arms the periodic offsets expiry; once, when the coordinator starts serving. */
  | { readonly type: 'start' }
  /** After replaying records: arms every member's session timer, rebalances groups over group.max.size. */
  | { readonly type: 'load-complete' }
  /** Shutdown: parked requests are answered NOT_COORDINATOR, groups are dropped. */
  | { readonly type: 'unload' };

export interface GroupCoordinatorStateOptions {
  readonly config?: Partial<GroupCoordinatorConfig>;
  /** UUIDs for member ids; crypto.randomUUID by default. */
  readonly newUuid?: () => string;
  /** Topic names from a "consumer" member's subscription; see SubscriptionParser. */
  readonly parseSubscription?: SubscriptionParser | null;
  /** Partitions from a "consumer" member's assignment, for rebalance summaries. */
  readonly parseAssignment?: AssignmentParser | null;
  /** The cluster's topics, for consumer-group (KIP-848) subscriptions; none by default. */
  readonly topics?: TopicMetadataView;
  /** Per-group configs (session timeout, heartbeat interval), read at use time; none by default. */
  readonly consumerGroupConfig?: ConsumerGroupConfigLookup;
}

type Group = ClassicGroup | ConsumerGroup;

const NO_OFFSET = -1n;

export class GroupCoordinatorState {
  readonly config: GroupCoordinatorConfig;
  private readonly groups = new Map<string, Group>();
  readonly offsets = new OffsetStore();
  /** TxnOffsetCommit offsets waiting for their transaction's marker: producer id -> group -> topic\0partition -> offset. */
  private readonly pendingTxnOffsets = new Map<bigint, Map<string, Map<string, PendingTxnOffset>>>();
  /** Log order of the pending offsets (they are added in the order their records are written, live and in replay). */
  private pendingTxnSeq = 0;
  private readonly ctx: GroupContext;
  private readonly consumer: ConsumerGroupHeartbeats;
  private readonly classicMembers: ClassicMembersOfConsumerGroups;
  private readonly topics: TopicMetadataView;
  private readonly timeouts: (groupId: string) => ConsumerGroupTimeouts;

  constructor(options: GroupCoordinatorStateOptions = {}) {
    this.config = Object.freeze({ ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...options.config });
    const newUuid = options.newUuid ?? (() => globalThis.crypto.randomUUID());
    this.ctx = {
      config: this.config,
      newUuid,
      parseSubscription: options.parseSubscription ?? null,
      parseAssignment: options.parseAssignment ?? null,
    };
    this.topics = options.topics ?? NO_TOPICS;
    const groupConfig = options.consumerGroupConfig ?? (() => undefined);
    this.timeouts = (groupId) => {
      const own = groupConfig(groupId);
      return {
        sessionTimeoutMs: own?.sessionTimeoutMs ?? this.config.consumerSessionTimeoutMs,
        heartbeatIntervalMs: own?.heartbeatIntervalMs ?? this.config.consumerHeartbeatIntervalMs,
      };
    };
    this.consumer = new ConsumerGroupHeartbeats({
      config: this.config,
      topics: this.topics,
      newUuid,
      timeouts: this.timeouts,
      consumerGroup: (id) => {
        const g = this.groups.get(id);
        return g === undefined ? undefined : g instanceof ConsumerGroup ? g : 'other';
      },
      isEmptyClassicGroup: (id) => {
        const g = this.groups.get(id);
        return g instanceof ClassicGroup && g.isEmpty;
      },
      deleteEmptyClassicGroup: (id, out) => this.write({ type: 'group-metadata', groupId: id, value: null }, out),
      classicGroup: (id) => this.classic(id),
      retireClassicGroup: (id, now, out) => {
        this.classic(id)?.markDead(now, ErrorCode.REBALANCE_IN_PROGRESS, out);
        this.write({ type: 'group-metadata', groupId: id, value: null }, out, now);
      },
      installClassicGroup: (id, value, rebalance, now, out) => {
        // Live groups are the source of their own GroupMetadata record: it is written, not applied.
        const group = ClassicGroup.fromRecord(id, value, this.ctx);
        this.groups.set(id, group);
        out.records.push({ type: 'group-metadata', groupId: id, value });
        group.armAllSessions(now, out);
        if (rebalance) {
          group.note('member-left', now);
          group.prepareRebalance(now, out);
        }
        group.endEvent();
      },
      write: (record, out) => this.write(record, out),
    });
    this.classicMembers = new ClassicMembersOfConsumerGroups(this.consumer, this.topics, (record, out) => this.write(record, out), newUuid);
  }

  private write(record: CoordinatorRecord, out: StepOutput, now = 0): void {
    out.records.push(record);
    this.applyRecord(record, out, now);
  }

  /** The classic group with this id (a consumer group's id answers undefined). */
  private classic(groupId: string): ClassicGroup | undefined {
    const g = this.groups.get(groupId);
    return g instanceof ClassicGroup ? g : undefined;
  }

  // -------------------------------------------------------------------------
  // The one entry point for everything that changes state

  step(event: CoordinatorEvent, now: number): StepOutput {
    const out = new StepOutput();
    switch (event.type) {
      case 'join':
        this.join(event.request, event.handle, now, out);
        break;
      case 'sync':
        this.sync(event.request, event.handle, now, out);
        break;
      case 'heartbeat':
        this.heartbeat(event.request, event.handle, now, out);
        break;
      case 'leave':
        this.leave(event.request, event.handle, now, out);
        break;
      case 'offset-commit':
        this.commitOffsets(event.request, event.handle, now, out);
        break;
      case 'txn-offset-commit':
        this.txnCommitOffsets(event.request, event.producer, event.handle, now, out);
        break;
      case 'txn-marker':
        this.completeTxnOffsets(event.producerId, event.commit, out);
        break;
      case 'offset-delete':
        this.deleteOffsets(event.request, event.handle, out);
        break;
      case 'delete-groups':
        this.deleteGroups(event.groupIds, event.handle, now, out);
        break;
      case 'consumer-heartbeat':
        out.responses.push({ kind: 'consumer-heartbeat', handle: event.handle, body: this.consumer.heartbeat(event.request, now, out) });
        break;
      case 'timer':
        this.onTimer(event.timer, now, out);
        break;
      case 'start':
        out.setTimer({ kind: 'offsets-expiry' }, now + this.config.offsetsRetentionCheckIntervalMs);
        break;
      case 'load-complete':
        this.loadComplete(now, out);
        break;
      case 'unload':
        this.unload(now, out);
        break;
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // Reads (no state change, no output)

  group(groupId: string): ClassicGroup | undefined {
    return this.classic(groupId);
  }

  consumerGroup(groupId: string): ConsumerGroup | undefined {
    const g = this.groups.get(groupId);
    return g instanceof ConsumerGroup ? g : undefined;
  }

  groupSnapshot(groupId: string): GroupSnapshot | undefined {
    const g = this.groups.get(groupId);
    if (g instanceof ConsumerGroup) {
      return g.snapshot(this.consumer.assignorOf(g), (id) => this.topics.topicById(id)?.name, this.timeouts(g.groupId).sessionTimeoutMs);
    }
    return this.classic(groupId)?.snapshot();
  }

  /**
   * ConsumerGroupDescribe: a missing group, or one of another type, answers
   * GROUP_ID_NOT_FOUND as Kafka does.
   */
  describeConsumerGroups(groupIds: readonly string[]): DescribedConsumerGroup[] {
    return groupIds.map((groupId) => {
      const g = this.groups.get(groupId);
      if (g instanceof ConsumerGroup) return g.describe(this.consumer.assignorOf(g));
      return {
        groupId,
        errorCode: ErrorCode.GROUP_ID_NOT_FOUND,
        errorMessage: g === undefined ? `Group ${groupId} not found.` : `Group ${groupId} is not a consumer group.`,
        groupState: 'Dead',
        groupEpoch: 0,
        assignmentEpoch: 0,
        assignorName: '',
        members: [],
      };
    });
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** DescribeGroups v0-v5: a consumer group is described as Kafka does, as an unknown (Dead) group. */
  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map(
      (groupId) =>
        this.classic(groupId)?.describe() ?? {
          groupId,
          errorCode: ErrorCode.NONE,
          groupState: 'Dead' as GroupState,
          protocolType: '',
          protocolData: '',
          members: [],
        },
    );
  }

  /**
   * ListGroups. States and types compare case-insensitively (v4+/v5+ filters);
   * an empty filter lets everything through.
   */
  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.trim().toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.trim().toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      const listed = g.listed();
      if (states.size > 0 && !states.has(listed.groupState.toLowerCase())) continue;
      if (types.size > 0 && !types.has(listed.groupType)) continue;
      out.push(listed);
    }
    return out;
  }

  /** OffsetFetch for one group (v8+ batches groups: call once per group). */
  fetchOffsets(req: OffsetFetchRequest): OffsetFetchResult {
    const group = this.groups.get(req.groupId);
    if (group instanceof ConsumerGroup) {
      const errorCode = this.consumer.validateMemberEpoch(group, req.memberId ?? null, req.memberEpoch ?? -1, null);
      if (errorCode !== ErrorCode.NONE) return { groupId: req.groupId, errorCode, topics: [] };
    }
    const known = group !== undefined && group.state !== 'Dead';
    const committed = known ? this.offsets.group(req.groupId) : undefined;
    if (req.topics === null) {
      const topics: { name: string; partitions: OffsetFetchPartitionResult[] }[] = [];
      if (committed !== undefined) {
        for (const [name, partitions] of committed) {
          const list: OffsetFetchPartitionResult[] = [];
          for (const [partitionIndex, o] of partitions) list.push(fetched(partitionIndex, o));
          topics.push({ name, partitions: list });
        }
      }
      return { groupId: req.groupId, errorCode: ErrorCode.NONE, topics };
    }
    return {
      groupId: req.groupId,
      errorCode: ErrorCode.NONE,
      topics: req.topics.map((t) => {
        const partitions = committed?.get(t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((p) => {
            if (req.requireStable === true && this.hasPendingTxnOffset(req.groupId, t.name, p)) {
              return { ...notFetched(p), errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
            }
            const o = partitions?.get(p);
            return o === undefined ? notFetched(p) : fetched(p, o);
          }),
        };
      }),
    };
  }

  // -------------------------------------------------------------------------
  // Classic membership

  private join(req: JoinGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    if (req.groupId === '') {
      out.responses.push({ kind: 'join', handle, body: joinError(req.memberId, ErrorCode.INVALID_GROUP_ID) });
      return;
    }
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      out.responses.push({ kind: 'join', handle, body: joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT) });
      return;
    }
    const existing = this.groups.get(req.groupId);
    if (existing instanceof ConsumerGroup && !existing.isEmpty) {
      // A classic member joins a consumer group with members (a mixed group).
      out.responses.push({ kind: 'join', handle, body: this.classicMembers.join(existing, req, now, out) });
      return;
    }
    if (existing instanceof ConsumerGroup) {
      // An empty consumer group becomes a classic one.
      const error = req.memberId !== UNKNOWN_MEMBER_ID ? ErrorCode.UNKNOWN_MEMBER_ID : null;
      if (error !== null) {
        out.responses.push({ kind: 'join', handle, body: joinError(req.memberId, error) });
        return;
      }
      for (const r of consumerGroupTombstones(existing)) this.write(r, out, now);
    }
    let group = this.classic(req.groupId);
    const isNew = group === undefined;
    if (group === undefined) {
      if (req.memberId !== UNKNOWN_MEMBER_ID) {
        out.responses.push({ kind: 'join', handle, body: joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID) });
        return;
      }
      group = new ClassicGroup(req.groupId, this.ctx, now);
      this.groups.set(req.groupId, group);
    }
    const recordsBefore = out.records.length;
    group.join(req, handle, now, out);
    if (isNew && out.records.length === recordsBefore) {
      // Kafka commits a new group with an empty GroupMetadata record.
      out.records.push({
        type: 'group-metadata',
        groupId: req.groupId,
        value: {
          protocolType: '',
          generation: 0,
          protocol: null,
          leader: null,
          currentStateTimestamp: group.stateTimestamp ?? -1,
          members: [],
        },
      });
    }
    group.endEvent();
  }

  private sync(req: SyncGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    let error: number = ErrorCode.NONE;
    const found = this.groups.get(req.groupId);
    if (found instanceof ConsumerGroup && !found.isEmpty && !(req.apiVersion >= 5 && (req.protocolType === null || req.protocolName === null))) {
      out.responses.push({ kind: 'sync', handle, body: this.classicMembers.sync(found, req, now, out) });
      return;
    }
    const group = this.classic(req.groupId);
    // KafkaApis checks the v5+ mandatory fields before the coordinator sees the request.
    if (req.apiVersion >= 5 && (req.protocolType === null || req.protocolName === null)) error = ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    else if (req.groupId === '') error = ErrorCode.INVALID_GROUP_ID;
    else if (group === undefined || group.isEmpty) error = ErrorCode.UNKNOWN_MEMBER_ID;
    if (error !== ErrorCode.NONE || group === undefined) {
      out.responses.push({
        kind: 'sync',
        handle,
        body: { errorCode: error, protocolType: null, protocolName: null, assignment: new Uint8Array(0) },
      });
      return;
    }
    group.sync(req, handle, now, out);
    group.endEvent();
  }

  private heartbeat(req: HeartbeatRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    let errorCode: number;
    const group = this.classic(req.groupId);
    const found = this.groups.get(req.groupId);
    if (req.groupId === '') errorCode = ErrorCode.INVALID_GROUP_ID;
    else if (found instanceof ConsumerGroup) errorCode = this.classicMembers.heartbeat(found, req, now, out);
    else if (group === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
    else {
      errorCode = group.heartbeat(req, now, out);
      group.endEvent();
    }
    out.responses.push({ kind: 'heartbeat', handle, body: { errorCode } });
  }

  private leave(req: LeaveGroupRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    const group = this.classic(req.groupId);
    if (req.groupId === '') {
      out.responses.push({ kind: 'leave', handle, body: { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] } });
      return;
    }
    const found = this.groups.get(req.groupId);
    if (found instanceof ConsumerGroup) {
      out.responses.push({ kind: 'leave', handle, body: this.classicMembers.leave(found, req, now, out) });
      return;
    }
    if (group === undefined) {
      // Kafka: the group-not-found error becomes UNKNOWN_MEMBER_ID on every member.
      out.responses.push({
        kind: 'leave',
        handle,
        body: {
          errorCode: ErrorCode.NONE,
          members: req.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
          })),
        },
      });
      return;
    }
    const body = group.leave(req, now, out);
    group.endEvent();
    out.responses.push({ kind: 'leave', handle, body });
  }

  // -------------------------------------------------------------------------
  // Offsets

  /**
   * A commit to a missing group creates a "simple" group (offsets without
   * membership: admin tools, assign()) unless it names a generation; then there
   * is no group and the caller answers its error.
   */
  private simpleGroupFor(req: OffsetCommitRequest, now: number): ClassicGroup | undefined {
    if (req.generationIdOrMemberEpoch >= 0) return undefined;
    const group = new ClassicGroup(req.groupId, this.ctx, now);
    this.groups.set(req.groupId, group);
    return group;
  }

  private commitOffsets(req: OffsetCommitRequest, handle: RequestHandle, now: number, out: StepOutput): void {
    const found = this.groups.get(req.groupId);
    if (found instanceof ConsumerGroup) {
      const error = this.consumer.validateMemberEpoch(found, req.memberId, req.generationIdOrMemberEpoch, req.apiVersion);
      if (error !== ErrorCode.NONE) {
        out.responses.push({ kind: 'offset-commit', handle, body: { topics: allPartitions(req.topics, error) } });
        return;
      }
    }
    const group = found ?? this.simpleGroupFor(req, now);
    let error: number = group === undefined ? (req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION) : ErrorCode.NONE;
    if (group instanceof ClassicGroup) error = group.validateOffsetCommit(req.memberId, req.groupInstanceId, req.generationIdOrMemberEpoch);
    if (error !== ErrorCode.NONE || group === undefined) {
      out.responses.push({ kind: 'offset-commit', handle, body: { topics: allPartitions(req.topics, error) } });
      return;
    }
    if (group instanceof ClassicGroup) group.touchFromOffsetCommit(req.memberId, now, out);

    const topics = this.offsetRecords(req, now, (record) => {
      out.records.push(record);
      this.applyRecord(record, out);
    });
    if (group instanceof ClassicGroup) group.endEvent();
    out.responses.push({ kind: 'offset-commit', handle, body: { topics } });
  }

  /** The request's offsets as records, each handed to `accept`; OFFSET_METADATA_TOO_LARGE partitions get none. */
  private offsetRecords(req: OffsetCommitRequest, now: number, accept: (record: CoordinatorRecord & { type: 'offset-commit' }) => void): TopicPartitionErrors[] {
    const retention = req.retentionTimeMs ?? -1;
    const expireTimestamp = retention === -1 ? -1 : now + retention;
    const maxMetadata = this.config.offsetMetadataMaxBytes;
    return req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const metadata = p.committedMetadata;
        if (metadata !== null && metadata.length > maxMetadata) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const ts = p.commitTimestamp ?? -1;
        accept({
          type: 'offset-commit',
          groupId: req.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: metadata ?? '',
            commitTimestamp: ts === -1 ? now : ts,
            expireTimestamp,
          },
        });
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
  }

  /**
   * TxnOffsetCommit (Kafka's OffsetMetadataManager.validateTransactionalOffsetCommit):
   * a missing group is created unless the request names a generation
   * (ILLEGAL_GENERATION); the member, static instance (FENCED_INSTANCE_ID) and
   * generation are checked only when the request names them (v3+); the offsets
   * are written as the producer's transactional batch and wait, per (group,
   * producer id), for the transaction's marker on this partition.
   */
  private txnCommitOffsets(req: OffsetCommitRequest, producer: TxnProducerEpoch, handle: RequestHandle, now: number, out: StepOutput): void {
    const group = this.groups.get(req.groupId) ?? this.simpleGroupFor(req, now);
    let error: number = group === undefined ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.NONE;
    if (group instanceof ClassicGroup) {
      error = group.validateOffsetCommit(req.memberId, req.groupInstanceId, req.generationIdOrMemberEpoch, true);
    } else if (group !== undefined && (req.memberId !== '' || req.generationIdOrMemberEpoch >= 0 || req.groupInstanceId !== null)) {
      // No OffsetCommit-version rule for transactional commits; a member epoch mismatch is ILLEGAL_GENERATION, as Kafka converts it.
      error = this.consumer.validateMemberEpoch(group, req.memberId, req.generationIdOrMemberEpoch, null);
      if (error === ErrorCode.STALE_MEMBER_EPOCH || error === ErrorCode.FENCED_MEMBER_EPOCH) error = ErrorCode.ILLEGAL_GENERATION;
    }
    if (error !== ErrorCode.NONE || group === undefined) {
      out.responses.push({ kind: 'offset-commit', handle, body: { topics: allPartitions(req.topics, error) } });
      return;
    }
    const topics = this.offsetRecords(req, now, (record) => {
      out.records.push(record);
      this.addPendingTxnOffset(producer.producerId, record);
    });
    if (out.records.length > 0) out.txn = producer;
    out.responses.push({ kind: 'offset-commit', handle, body: { topics } });
  }

  private addPendingTxnOffset(producerId: bigint, record: CoordinatorRecord & { type: 'offset-commit' }): void {
    let byGroup = this.pendingTxnOffsets.get(producerId);
    if (!byGroup) this.pendingTxnOffsets.set(producerId, (byGroup = new Map()));
    let pending = byGroup.get(record.groupId);
    if (!pending) byGroup.set(record.groupId, (pending = new Map()));
    pending.set(`${record.topic}\u0000${record.partition}`, { record, seq: ++this.pendingTxnSeq, superseded: false });
  }

  /**
   * An offset written at log position `writtenAt` (a plain commit: after every
   * pending one) was applied: pending transactional offsets of the partition
   * written before it lose, whenever their transaction commits. Kafka keeps
   * the offset written last, so compaction (which keeps only that record)
   * cannot change the outcome.
   */
  private supersedePendingTxnOffsets(record: CoordinatorRecord & { type: 'offset-commit' }, writtenAt: number): void {
    if (this.pendingTxnOffsets.size === 0) return;
    const key = `${record.topic}\u0000${record.partition}`;
    for (const byGroup of this.pendingTxnOffsets.values()) {
      const p = byGroup.get(record.groupId)?.get(key);
      if (p !== undefined && p.seq < writtenAt) p.superseded = true;
    }
  }

  /**
   * A transaction of `producerId` ended on this partition: its pending offsets
   * apply (their records are already in the log, before the marker), or are dropped.
   */
  private completeTxnOffsets(producerId: bigint, commit: boolean, out: StepOutput): void {
    const byGroup = this.pendingTxnOffsets.get(producerId);
    if (!byGroup) return;
    this.pendingTxnOffsets.delete(producerId);
    if (!commit) return;
    for (const pending of byGroup.values()) for (const p of pending.values()) if (!p.superseded) this.applyRecord(p.record, out, 0, p.seq);
  }

  /** Whether a transaction holds offsets for the partition that are not yet committed (OffsetFetch's requireStable). */
  private hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    for (const byGroup of this.pendingTxnOffsets.values()) if (byGroup.get(groupId)?.has(`${topic}\u0000${partition}`)) return true;
    return false;
  }

  private deleteOffsets(req: OffsetDeleteRequest, handle: RequestHandle, out: StepOutput): void {
    const group = this.groups.get(req.groupId);
    let error: number = ErrorCode.NONE;
    if (req.groupId === '') error = ErrorCode.INVALID_GROUP_ID;
    else if (group === undefined || group.state === 'Dead') error = ErrorCode.GROUP_ID_NOT_FOUND;
    else if (group instanceof ClassicGroup && group.state !== 'Empty' && !group.usesConsumerProtocol) error = ErrorCode.NON_EMPTY_GROUP;
    if (error !== ErrorCode.NONE || group === undefined) {
      out.responses.push({ kind: 'offset-delete', handle, body: { errorCode: error, topics: [] } });
      return;
    }
    const topics: TopicPartitionErrors[] = [];
    for (const t of req.topics) {
      if (group.isSubscribedTo(t.name)) {
        topics.push({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC })),
        });
        continue;
      }
      for (const p of t.partitionIndexes) {
        if (this.offsets.has(req.groupId, t.name, p)) {
          const record: CoordinatorRecord = { type: 'offset-commit', groupId: req.groupId, topic: t.name, partition: p, value: null };
          out.records.push(record);
          this.applyRecord(record, out);
        }
      }
      topics.push({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: ErrorCode.NONE })) });
    }
    out.responses.push({ kind: 'offset-delete', handle, body: { errorCode: ErrorCode.NONE, topics } });
  }

  private deleteGroups(groupIds: readonly string[], handle: RequestHandle, now: number, out: StepOutput): void {
    const results: DeleteGroupResult[] = [];
    for (const groupId of new Set(groupIds)) {
      const group = this.groups.get(groupId);
      let errorCode: number = ErrorCode.NONE;
      if (group === undefined || group.state === 'Dead') errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
      else if (!group.isEmpty) errorCode = ErrorCode.NON_EMPTY_GROUP;
      else {
        const records = this.offsetTombstones(groupId);
        records.push(...this.groupTombstones(group));
        for (const r of records) {
          out.records.push(r);
          this.applyRecord(r, out, now);
        }
      }
      results.push({ groupId, errorCode });
    }
    out.responses.push({ kind: 'delete-groups', handle, body: results });
  }

  /** The records that delete an empty group (its offsets aside). */
  private groupTombstones(group: Group): CoordinatorRecord[] {
    if (group instanceof ConsumerGroup) return consumerGroupTombstones(group);
    return [{ type: 'group-metadata', groupId: group.groupId, value: null }];
  }


  private offsetTombstones(groupId: string): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    const committed = this.offsets.group(groupId);
    if (committed !== undefined) {
      for (const [topic, partitions] of committed) {
        for (const partition of partitions.keys()) records.push({ type: 'offset-commit', groupId, topic, partition, value: null });
      }
    }
    return records;
  }

  /**
   * Offset expiry (Kafka's cleanupGroupMetadata): offsets of topics the group is
   * not subscribed to expire offsets.retention.minutes after their base time (the
   * moment the group became Empty, or the commit time for simple groups and Stable
   * consumer groups with a known subscription; an explicit expireTimestamp from a
   * v2-v4 commit wins). Empty groups left with no offsets are deleted.
   */
  private expireOffsets(now: number, out: StepOutput): void {
    const retentionMs = this.config.offsetsRetentionMinutes * 60_000;
    for (const [groupId, group] of [...this.groups]) {
      const committed = this.offsets.group(groupId);
      let allExpired = true;
      if (committed !== undefined) {
        if (!group.offsetsCanExpire) {
          allExpired = false;
        } else {
          const expired: CoordinatorRecord[] = [];
          for (const [topic, partitions] of committed) {
            if (group.isSubscribedTo(topic)) {
              allExpired = false;
              continue;
            }
            for (const [partition, o] of partitions) {
              if (isExpired(o, group.offsetExpirationBase(o), now, retentionMs)) {
                expired.push({ type: 'offset-commit', groupId, topic, partition, value: null });
              } else {
                allExpired = false;
              }
            }
          }
          for (const r of expired) {
            out.records.push(r);
            this.applyRecord(r, out, now);
          }
        }
      }
      if (allExpired && group.isEmpty) for (const r of this.groupTombstones(group)) this.write(r, out, now);
    }
  }

  // -------------------------------------------------------------------------
  // Timers, start, load, unload

  private onTimer(timer: TimerId, now: number, out: StepOutput): void {
    if (timer.kind === 'offsets-expiry') {
      this.expireOffsets(now, out);
      out.setTimer(timer, now + this.config.offsetsRetentionCheckIntervalMs);
      return;
    }
    const found = this.groups.get(timer.groupId);
    if (found instanceof ConsumerGroup) {
      if (timer.kind === 'consumer-session' || timer.kind === 'consumer-join' || timer.kind === 'consumer-sync') {
        if (timer.kind === 'consumer-join') found.classicJoinTimers.delete(timer.memberId);
        this.consumer.onSessionTimer(found, timer.memberId, now, out);
      } else if (timer.kind === 'consumer-rebalance') this.consumer.onRebalanceTimer(found, timer.memberId, timer.epoch, now, out);
      return;
    }
    const group = found;
    if (group === undefined) return;
    switch (timer.kind) {
      case 'heartbeat':
        group.onSessionTimer(timer.memberId, now, out);
        break;
      case 'join':
        group.onJoinTimer(now, out);
        break;
      case 'sync':
        group.onSyncTimer(now, out);
        break;
    }
    group.endEvent();
  }

  private loadComplete(now: number, out: StepOutput): void {
    for (const group of this.groups.values()) {
      if (group instanceof ConsumerGroup) {
        this.consumer.armTimers(group, now, out);
        continue;
      }
      group.armAllSessions(now, out);
      if (group.members.size > this.config.maxGroupSize) {
        group.note('loaded-over-capacity', now);
        group.prepareRebalance(now, out);
      }
      group.endEvent();
    }
  }

  private unload(now: number, out: StepOutput): void {
    for (const group of this.groups.values()) if (group instanceof ClassicGroup) group.markDead(now, ErrorCode.NOT_COORDINATOR, out);
    this.groups.clear();
    out.cancelTimer({ kind: 'offsets-expiry' });
  }

  // -------------------------------------------------------------------------
  // Records

  /**
   * Replays one record of __consumer_offsets (domain form, log order, tombstones
   * included). Call `step({type: 'load-complete'})` once the replay is done.
   */
  loadRecord(record: CoordinatorRecord, txnProducer?: bigint): void {
    if (txnProducer !== undefined) {
      // A transaction's offsets (Kafka's loadGroupsAndOffsets): pending until the producer's marker.
      if (record.type !== 'offset-commit' || record.value === null) return;
      if (!this.groups.has(record.groupId)) this.groups.set(record.groupId, new ClassicGroup(record.groupId, this.ctx, null));
      this.addPendingTxnOffset(txnProducer, record);
      return;
    }
    if (record.type === 'group-metadata' && record.value !== null) {
      this.groups.set(record.groupId, ClassicGroup.fromRecord(record.groupId, record.value, this.ctx));
      return;
    }
    this.applyRecord(record, new StepOutput());
  }

  /** Replays a transaction marker: the producer's pending offsets apply (commit) or go (abort). */
  loadTxnMarker(producerId: bigint, commit: boolean): void {
    this.completeTxnOffsets(producerId, commit, new StepOutput());
  }

  /** `txnSeq`: the log order of a committed transaction's offset (pendingTxnSeq); plain records come after every pending one. */
  private applyRecord(record: CoordinatorRecord, out: StepOutput, now = 0, txnSeq = Infinity): void {
    if (record.type !== 'group-metadata' && record.type !== 'offset-commit') {
      this.applyConsumerGroupRecord(record);
      return;
    }
    if (record.type === 'group-metadata') {
      if (record.value !== null) return; // live groups are the source of their own metadata
      const group = this.classic(record.groupId);
      if (group !== undefined) {
        group.markDead(now, ErrorCode.COORDINATOR_NOT_AVAILABLE, out);
        this.groups.delete(record.groupId);
      }
      return;
    }
    if (record.value === null) {
      this.offsets.remove(record.groupId, record.topic, record.partition);
      return;
    }
    if (!this.groups.has(record.groupId)) {
      // Offsets without a group record: a simple group.
      this.groups.set(record.groupId, new ClassicGroup(record.groupId, this.ctx, null));
    }
    this.supersedePendingTxnOffsets(record, txnSeq);
    this.offsets.put(record.groupId, record.topic, record.partition, record.value);
  }

  /** A consumer-group record creates its group (replacing a classic group with no members, as Kafka's replay does). */
  private applyConsumerGroupRecord(record: ConsumerGroupRecord): void {
    let group = this.groups.get(record.groupId);
    if (record.value === null) {
      if (!(group instanceof ConsumerGroup)) return;
      group.apply(record);
      if (record.type === 'cg-metadata') {
        this.groups.delete(record.groupId);
        this.consumer.tracker.forget(record.groupId);
      }
      return;
    }
    if (!(group instanceof ConsumerGroup)) {
      group = new ConsumerGroup(record.groupId);
      this.groups.set(record.groupId, group);
    }
    group.apply(record);
  }
}

/** A transaction's offset waiting for its marker; superseded by an offset written after it (it then never applies). */
interface PendingTxnOffset {
  record: CoordinatorRecord & { type: 'offset-commit' };
  seq: number;
  superseded: boolean;
}

function isExpired(o: OffsetAndMetadata, base: number | null, now: number, retentionMs: number): boolean {
  if (o.expireTimestamp !== -1) return now >= o.expireTimestamp;
  if (base === null) return false;
  return now - base >= retentionMs;
}

function fetched(partitionIndex: number, o: OffsetAndMetadata): OffsetFetchPartitionResult {
  return {
    partitionIndex,
    committedOffset: o.offset,
    committedLeaderEpoch: o.leaderEpoch,
    metadata: o.metadata,
    errorCode: ErrorCode.NONE,
  };
}

function notFetched(partitionIndex: number): OffsetFetchPartitionResult {
  return { partitionIndex, committedOffset: NO_OFFSET, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
}

function allPartitions(topics: OffsetCommitRequest['topics'], errorCode: number): TopicPartitionErrors[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}

