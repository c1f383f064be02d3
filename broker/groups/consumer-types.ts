// Domain types of consumer groups (KIP-848, ConsumerGroupHeartbeat): the request
// and answer as the coordinator sees them, the records in domain form (Kafka's
// ConsumerGroup* key/value schemas, value null = tombstone), and the read-only
// view of topic metadata the machine resolves subscriptions against.

/** topic id -> partitions (sorted). */
export type TopicPartitionList = readonly { readonly topicId: string; readonly partitions: readonly number[] }[];

export interface ConsumerGroupHeartbeatRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  /** -1 = unchanged. */
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  /** The partitions the member owns; null = unchanged. */
  readonly topicPartitions: TopicPartitionList | null;
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface ConsumerGroupHeartbeatResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  /** null when unchanged since the last answer. */
  readonly assignment: TopicPartitionList | null;
}

/** A consumer group's own timeouts (per-group configs), over the coordinator's config. */
export interface ConsumerGroupTimeouts {
  /** consumer.session.timeout.ms */
  readonly sessionTimeoutMs: number;
  /** consumer.heartbeat.interval.ms */
  readonly heartbeatIntervalMs: number;
}

/** Looks a group's configured timeouts up at use time; undefined (or an absent field) = the coordinator's. */
export type ConsumerGroupConfigLookup = (groupId: string) => Partial<ConsumerGroupTimeouts> | undefined;

/** Kafka's MemberState codes, as in ConsumerGroupCurrentMemberAssignmentValue.State. */
export const MemberState = Object.freeze({ STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2 });
export type MemberStateCode = 0 | 1 | 2;

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** A topic as the machine sees it. */
export interface TopicMetadata {
  readonly id: string;
  readonly name: string;
  readonly numPartitions: number;
}

/**
 * Read-only view of the cluster's topics (the broker passes one over its
 * Cluster). `topicNames` lists what a regex subscription may match (internal
 * topics excluded).
 */
export interface TopicMetadataView {
  topicByName(name: string): TopicMetadata | undefined;
  topicById(id: string): TopicMetadata | undefined;
  topicNames(): Iterable<string>;
}

export const NO_TOPICS: TopicMetadataView = Object.freeze({
  topicByName: () => undefined,
  topicById: () => undefined,
  topicNames: () => [],
});

// ---------------------------------------------------------------------------
// Records

/** A JoinGroup protocol of a member that uses the classic protocol (name, embedded consumer-protocol subscription). */
export interface ClassicProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

/** Kafka's ClassicMemberMetadata: set on the members of a consumer group that speak the classic protocol. */
export interface ClassicMemberMetadata {
  readonly sessionTimeoutMs: number;
  /** In the member's order of preference; the first is the one it is answered with. */
  readonly supportedProtocols: readonly ClassicProtocol[];
}

export interface ConsumerMemberMetadata {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
  /** null for members that use the consumer protocol (ConsumerGroupHeartbeat). */
  readonly classicMemberMetadata: ClassicMemberMetadata | null;
}

export interface CurrentMemberAssignment {
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  readonly state: MemberStateCode;
  readonly assigned: TopicPartitionList;
  readonly pendingRevocation: TopicPartitionList;
}

export type ConsumerGroupRecord =
  | { readonly type: 'cg-metadata'; readonly groupId: string; readonly value: { readonly epoch: number } | null }
  | { readonly type: 'cg-partition-metadata'; readonly groupId: string; readonly value: { readonly topics: readonly TopicMetadata[] } | null }
  | { readonly type: 'cg-member'; readonly groupId: string; readonly memberId: string; readonly value: ConsumerMemberMetadata | null }
  | { readonly type: 'cg-target-metadata'; readonly groupId: string; readonly value: { readonly assignmentEpoch: number } | null }
  | { readonly type: 'cg-target-member'; readonly groupId: string; readonly memberId: string; readonly value: { readonly partitions: TopicPartitionList } | null }
  | { readonly type: 'cg-current'; readonly groupId: string; readonly memberId: string; readonly value: CurrentMemberAssignment | null };

// ---------------------------------------------------------------------------
// Describe

export interface DescribedConsumerMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly memberEpoch: number;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly assignment: TopicPartitionList;
  readonly targetAssignment: TopicPartitionList;
}

export interface DescribedConsumerGroup {
  readonly groupId: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly groupState: ConsumerGroupState;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: readonly DescribedConsumerMember[];
}

// ---------------------------------------------------------------------------
// Rebalance history of a consumer group

export type { RebalanceCause as ConsumerRebalanceCause } from './types.js';

export interface MovedPartition {
  readonly topicId: string;
  readonly partition: number;
  /** Previous owner (null: the partition had none, e.g. a new partition). */
  readonly from: string | null;
  readonly to: string;
  /** From the moment the old owner gave it up (or the epoch bump, for a free one) to the new owner's first heartbeat owning it. */
  readonly pausedMs: number;
}
