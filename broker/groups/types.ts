// Domain types of the group coordinator: requests and answers as the coordinator
// sees them (never wire types), the records it persists, the timers it asks for,
// and its configuration. Handlers translate wire <-> these; the persistence layer
// translates records <-> Kafka's __consumer_offsets key/value schemas
// (GroupMetadataKey/Value v2+, OffsetCommitKey/Value).

import { ErrorCode } from '../../protocol/errors.js';
import type { ConsumerGroupHeartbeatResult, ConsumerGroupRecord, ConsumerGroupState } from './consumer-types.js';
import type { ConsumerRebalanceSummary } from './consumer-rebalances.js';

export { ErrorCode };

/** Opaque id the caller gives each request; answers come back tagged with it. */
export type RequestHandle = number;

// ---------------------------------------------------------------------------
// Configuration (Kafka's names in GROUP_CONFIG_NAMES, Kafka's defaults)

export interface GroupCoordinatorConfig {
  /** group.min.session.timeout.ms */
  readonly minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  readonly maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number;
  /** group.max.size */
  readonly maxGroupSize: number;
  /** offset.metadata.max.bytes (compared with the string's UTF-16 length, as Kafka does) */
  readonly offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes */
  readonly offsetsRetentionMinutes: number;
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number;
  /**
   * How long a brand-new member's JoinGroup may stay parked before the member is
   * dropped (Kafka's internal constant, 5 minutes; not a broker config there).
   */
  readonly newMemberJoinTimeoutMs: number;
  /** group.consumer.session.timeout.ms */
  readonly consumerSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms */
  readonly consumerHeartbeatIntervalMs: number;
  /** group.consumer.max.size */
  readonly consumerMaxGroupSize: number;
  /** group.consumer.assignors (the first is the default) */
  readonly consumerAssignors: readonly string[];
  /** group.consumer.migration.policy: which online conversions between classic and consumer groups are allowed. */
  readonly consumerMigrationPolicy: ConsumerMigrationPolicy;
}

export type ConsumerMigrationPolicy = 'disabled' | 'upgrade' | 'downgrade' | 'bidirectional';

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = Object.freeze({
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxGroupSize: 2_147_483_647,
  offsetMetadataMaxBytes: 4_096,
  offsetsRetentionMinutes: 7 * 24 * 60,
  offsetsRetentionCheckIntervalMs: 600_000,
  newMemberJoinTimeoutMs: 5 * 60 * 1000,
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000,
  consumerMaxGroupSize: 2_147_483_647,
  consumerAssignors: ['uniform', 'range'],
  consumerMigrationPolicy: 'bidirectional',
});

/** Field -> Kafka broker config name, for the config table to map onto. */
export const GROUP_CONFIG_NAMES: Readonly<Record<keyof GroupCoordinatorConfig, string | null>> = Object.freeze({
  minSessionTimeoutMs: 'group.min.session.timeout.ms',
  maxSessionTimeoutMs: 'group.max.session.timeout.ms',
  initialRebalanceDelayMs: 'group.initial.rebalance.delay.ms',
  maxGroupSize: 'group.max.size',
  offsetMetadataMaxBytes: 'offset.metadata.max.bytes',
  offsetsRetentionMinutes: 'offsets.retention.minutes',
  offsetsRetentionCheckIntervalMs: 'offsets.retention.check.interval.ms',
  newMemberJoinTimeoutMs: null,
  consumerSessionTimeoutMs: 'group.consumer.session.timeout.ms',
  consumerHeartbeatIntervalMs: 'group.consumer.heartbeat.interval.ms',
  consumerMaxGroupSize: 'group.consumer.max.size',
  consumerAssignors: 'group.consumer.assignors',
  consumerMigrationPolicy: 'group.consumer.migration.policy',
});

// ---------------------------------------------------------------------------
// Group states

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka's table: a group may enter a state only from one of these states. */
export const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = Object.freeze({
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
});

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

// ---------------------------------------------------------------------------
// JoinGroup

export interface JoinProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  /** '' when the member does not know its id yet. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  /** In the member's order of preference. */
  readonly protocols: readonly JoinProtocol[];
  readonly sessionTimeoutMs: number;
  /** v0 has none: the handler passes the session timeout, as Kafka does. */
  readonly rebalanceTimeoutMs: number;
  /** v8+ client reason, for logs only. */
  readonly reason?: string | null;
  /** Drives MEMBER_ID_REQUIRED (v4+) and skipAssignment (v9+). */
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Uint8Array;
}

export interface JoinGroupResult {
  readonly errorCode: number;
  /** -1 on errors (Kafka's default). */
  readonly generationId: number;
  /** null on errors; the handler writes '' for versions where the field is not nullable. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** '' when unknown. */
  readonly leader: string;
  readonly skipAssignment: boolean;
  readonly memberId: string;
  /** Non-empty only in the leader's answer. */
  readonly members: readonly JoinGroupResponseMember[];
}

// ---------------------------------------------------------------------------
// SyncGroup

export interface SyncGroupAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+ (mandatory there); null for older versions. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly SyncGroupAssignment[];
  readonly apiVersion: number;
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Uint8Array;
}

// ---------------------------------------------------------------------------
// Heartbeat / LeaveGroup

export interface HeartbeatRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface HeartbeatResult {
  readonly errorCode: number;
}

export interface LeaveGroupMemberIdentity {
  /** '' to remove a static member by its group.instance.id (v3+). */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly reason?: string | null;
}

export interface LeaveGroupRequest {
  readonly groupId: string;
  /** v0-v2 carry one member; the handler wraps it. */
  readonly members: readonly LeaveGroupMemberIdentity[];
}

export interface LeaveGroupMemberResult {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly errorCode: number;
}

export interface LeaveGroupResult {
  readonly errorCode: number;
  readonly members: readonly LeaveGroupMemberResult[];
}

// ---------------------------------------------------------------------------
// Offsets

export interface OffsetCommitPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  /** -1 when absent (v6+ field). */
  readonly committedLeaderEpoch: number;
  /** v1 only; -1 (Kafka's default) means "now". */
  readonly commitTimestamp?: number;
  readonly committedMetadata: string | null;
}

export interface OffsetCommitTopic {
  readonly name: string;
  readonly partitions: readonly OffsetCommitPartition[];
}

export interface OffsetCommitRequest {
  readonly groupId: string;
  /** -1 for simple (non-member) commits. */
  readonly generationIdOrMemberEpoch: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v2-v4; -1 = broker default retention. */
  readonly retentionTimeMs?: number;
  readonly apiVersion: number;
  readonly topics: readonly OffsetCommitTopic[];
}

export interface PartitionErrorResult {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

export interface TopicPartitionErrors {
  readonly name: string;
  readonly partitions: readonly PartitionErrorResult[];
}

export interface OffsetCommitResult {
  readonly topics: readonly TopicPartitionErrors[];
}

export interface OffsetFetchRequest {
  readonly groupId: string;
  /** null = every committed partition of the group. */
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null;
  readonly requireStable?: boolean;
  /** v9+: the member asking (consumer groups check it and its epoch); null/-1 for admin reads. */
  readonly memberId?: string | null;
  readonly memberEpoch?: number;
}

export interface OffsetFetchPartitionResult {
  readonly partitionIndex: number;
  /** -1n when nothing is committed. */
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface OffsetFetchResult {
  readonly groupId: string;
  readonly errorCode: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly OffsetFetchPartitionResult[] }[];
}

export interface OffsetDeleteRequest {
  readonly groupId: string;
  readonly topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[];
}

export interface OffsetDeleteResult {
  readonly errorCode: number;
  readonly topics: readonly TopicPartitionErrors[];
}

/** A committed offset as stored (OffsetCommitValue in domain form). */
export interface OffsetAndMetadata {
  readonly offset: bigint;
  /** -1 when unknown. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  /** Milliseconds since the epoch. */
  readonly commitTimestamp: number;
  /** Milliseconds since the epoch; -1 when the commit carried no retention (the usual case). */
  readonly expireTimestamp: number;
}

// ---------------------------------------------------------------------------
// Describe / List / Delete

export interface DescribedGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** The metadata for the selected protocol; empty unless the group is Stable. */
  readonly memberMetadata: Uint8Array;
  readonly memberAssignment: Uint8Array;
}

export interface DescribedGroup {
  readonly groupId: string;
  readonly errorCode: number;
  readonly groupState: GroupState;
  readonly protocolType: string;
  /** The selected protocol when Stable, else ''. */
  readonly protocolData: string;
  readonly members: readonly DescribedGroupMember[];
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: GroupState | ConsumerGroupState;
  readonly groupType: 'classic' | 'consumer';
}

export interface DeleteGroupResult {
  readonly groupId: string;
  readonly errorCode: number;
}

// ---------------------------------------------------------------------------
// Records (domain form of __consumer_offsets key/value pairs; value null = tombstone)

export interface GroupMemberMetadata {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeout: number;
  readonly sessionTimeout: number;
  /** The member's metadata for the group's selected protocol. */
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

export interface GroupMetadataValue {
  /** '' for a group with no protocol type (Kafka writes '' there). */
  readonly protocolType: string;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  /** Milliseconds since the epoch; -1 when unknown. */
  readonly currentStateTimestamp: number;
  readonly members: readonly GroupMemberMetadata[];
}

export interface GroupMetadataRecord {
  readonly type: 'group-metadata';
  readonly groupId: string;
  readonly value: GroupMetadataValue | null;
}

export interface OffsetCommitRecord {
  readonly type: 'offset-commit';
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly value: OffsetAndMetadata | null;
}

export type CoordinatorRecord = GroupMetadataRecord | OffsetCommitRecord | ConsumerGroupRecord;

// ---------------------------------------------------------------------------
// Timers the machine asks for. Deadlines are absolute (same clock as `now`).

export type TimerId =
  /** Session expiry of one member (or of a pending member waiting to rejoin). */
  | { readonly kind: 'heartbeat'; readonly groupId: string; readonly memberId: string }
  /** End of the join phase: rebalance timeout or initial rebalance delay. */
  | { readonly kind: 'join'; readonly groupId: string }
  /** Members that got their JoinGroup answer must SyncGroup within the rebalance timeout. */
  | { readonly kind: 'sync'; readonly groupId: string }
  /** Periodic offsets/group expiry (offsets.retention.check.interval.ms). */
  | { readonly kind: 'offsets-expiry' }
  /** Session expiry of a consumer-group (KIP-848) member. */
  | { readonly kind: 'consumer-session'; readonly groupId: string; readonly memberId: string }
  /** A consumer-group member that must revoke by then, or be fenced, if still at `epoch`. */
  | { readonly kind: 'consumer-rebalance'; readonly groupId: string; readonly memberId: string; readonly epoch: number }
  /** A classic member of a consumer group told to rejoin must JoinGroup by then, or be fenced. */
  | { readonly kind: 'consumer-join'; readonly groupId: string; readonly memberId: string }
  /** A classic member of a consumer group that joined must SyncGroup by then, or be fenced. */
  | { readonly kind: 'consumer-sync'; readonly groupId: string; readonly memberId: string };

export type TimerOp =
  | { readonly op: 'set'; readonly timer: TimerId; readonly deadline: number }
  | { readonly op: 'cancel'; readonly timer: TimerId };

export function timerKey(t: TimerId): string {
  switch (t.kind) {
    case 'heartbeat':
      return `h\u0000${t.groupId}\u0000${t.memberId}`;
    case 'join':
      return `j\u0000${t.groupId}`;
    case 'sync':
      return `s\u0000${t.groupId}`;
    case 'offsets-expiry':
      return 'x';
    case 'consumer-session':
      return `c\u0000${t.groupId}\u0000${t.memberId}`;
    case 'consumer-rebalance':
      return `r\u0000${t.groupId}\u0000${t.memberId}`;
    case 'consumer-join':
      return `cj\u0000${t.groupId}\u0000${t.memberId}`;
    case 'consumer-sync':
      return `cs\u0000${t.groupId}\u0000${t.memberId}`;
  }
}

// ---------------------------------------------------------------------------
// Answers to deliver to requests (parked or immediate)

export type GroupResponse =
  | { readonly kind: 'join'; readonly handle: RequestHandle; readonly body: JoinGroupResult }
  | { readonly kind: 'sync'; readonly handle: RequestHandle; readonly body: SyncGroupResult }
  | { readonly kind: 'heartbeat'; readonly handle: RequestHandle; readonly body: HeartbeatResult }
  | { readonly kind: 'leave'; readonly handle: RequestHandle; readonly body: LeaveGroupResult }
  | { readonly kind: 'offset-commit'; readonly handle: RequestHandle; readonly body: OffsetCommitResult }
  | { readonly kind: 'offset-delete'; readonly handle: RequestHandle; readonly body: OffsetDeleteResult }
  | { readonly kind: 'delete-groups'; readonly handle: RequestHandle; readonly body: readonly DeleteGroupResult[] }
  | { readonly kind: 'consumer-heartbeat'; readonly handle: RequestHandle; readonly body: ConsumerGroupHeartbeatResult };

// ---------------------------------------------------------------------------
// Rebalance history

export type RebalanceReasonKind =
  | 'member-joined'
  | 'member-rejoined-with-new-metadata'
  | 'leader-rejoined'
  | 'static-member-replaced'
  | 'member-left'
  | 'session-timeout'
  | 'not-rejoined-in-time'
  | 'not-synced-in-time'
  | 'group-max-size'
  | 'loaded-over-capacity';

export interface RebalanceReason {
  readonly kind: RebalanceReasonKind;
  readonly memberId?: string;
  readonly groupInstanceId?: string | null;
  /** Client-provided reason (JoinGroup v8+, LeaveGroup v5+), if any. */
  readonly detail?: string;
  /** When it happened (clock ms). */
  readonly at: number;
}

/** What started a rebalance, for both protocols. */
export type RebalanceCause = 'join' | 'leave' | 'timeout' | 'metadata-change' | 'subscription-change';

/** Kafka's reasons for a classic rebalance, as causes. */
export const CLASSIC_REBALANCE_CAUSES: Readonly<Record<RebalanceReasonKind, RebalanceCause>> = Object.freeze({
  'member-joined': 'join',
  'member-rejoined-with-new-metadata': 'subscription-change',
  'leader-rejoined': 'join',
  'static-member-replaced': 'join',
  'member-left': 'leave',
  'session-timeout': 'timeout',
  'not-rejoined-in-time': 'timeout',
  'not-synced-in-time': 'timeout',
  'group-max-size': 'join',
  'loaded-over-capacity': 'metadata-change',
});

/** A partition whose owner changed in a classic rebalance (consumer protocol type only). */
export interface ClassicMovedPartition {
  readonly topic: string;
  readonly partition: number;
  /** null: nobody owned it before. */
  readonly from: string | null;
  /** null: nobody owns it after. */
  readonly to: string | null;
}

export interface RebalanceSummary {
  readonly protocol: 'classic';
  /** What started it (the first reason's cause); null when no reason was recorded. */
  readonly cause: RebalanceCause | null;
  /**
   * Partitions that changed owner between the assignment in force when the
   * rebalance started and the one delivered (groups of protocol type "consumer"
   * whose assignments parse; empty otherwise). In the classic protocol every
   * partition of the group stops for pausedMs, moved or not.
   */
  readonly partitionsMoved: readonly ClassicMovedPartition[];
  readonly groupId: string;
  /** The generation the rebalance ended in. */
  readonly generationId: number;
  /** The generation in force when the rebalance started. */
  readonly fromGenerationId: number;
  /** Stable: the leader's assignment was delivered. Empty: every member went away. */
  readonly outcome: 'Stable' | 'Empty';
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly memberIds: readonly string[];
  /** PreparingRebalance start (ms). */
  readonly startedAt: number;
  readonly completedAt: number;
  /** How long the group could not consume: completedAt - startedAt. */
  readonly pausedMs: number;
  /** Generations handed out while getting there (> 1 when a rebalance restarted). */
  readonly generationsUsed: number;
  /** The first reasons (bounded); reasonCount counts them all. */
  readonly reasons: readonly RebalanceReason[];
  readonly reasonCount: number;
}

// ---------------------------------------------------------------------------
// What one step of the machine produces

/** The producer a step's records belong to when they are a transaction's (TxnOffsetCommit). */
export interface TxnProducerEpoch {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export class StepOutput {
  readonly responses: GroupResponse[] = [];
  readonly records: CoordinatorRecord[] = [];
  /** Set when `records` are one transaction's offsets: persisted as its transactional batch. */
  txn: TxnProducerEpoch | undefined = undefined;
  readonly timers: TimerOp[] = [];
  readonly rebalances: RebalanceSummary[] = [];
  readonly consumerRebalances: ConsumerRebalanceSummary[] = [];

  setTimer(timer: TimerId, deadline: number): void {
    this.timers.push({ op: 'set', timer, deadline });
  }

  cancelTimer(timer: TimerId): void {
    this.timers.push({ op: 'cancel', timer });
  }

  get isEmpty(): boolean {
    return (
      this.responses.length === 0 &&
      this.records.length === 0 &&
      this.timers.length === 0 &&
      this.rebalances.length === 0 &&
      this.consumerRebalances.length === 0
    );
  }
}

/**
 * Parses a member's subscription for the selected protocol into topic names, for
 * groups of protocol type "consumer" (ConsumerProtocolSubscription, read with its
 * v0 prefix as Kafka does). Return null when the bytes cannot be parsed. The
 * coordinator uses it for OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and offset
 * expiry of Stable consumer groups.
 */
export type SubscriptionParser = (metadata: Uint8Array) => readonly string[] | null;

/** Parses a "consumer" member's assignment into topic -> partitions; null when the bytes cannot be parsed. */
export type AssignmentParser = (assignment: Uint8Array) => ReadonlyMap<string, readonly number[]> | null;

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Kafka's "unknown member id". */
export const UNKNOWN_MEMBER_ID = '';
