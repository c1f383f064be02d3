// ConsumerGroupHeartbeat (KIP-848) as Kafka's GroupMetadataManager runs it, on the
// consumer groups of GroupCoordinatorState. One heartbeat, in order: stateless
// validation (INVALID_REQUEST with Kafka's messages, UNSUPPORTED_ASSIGNOR,
// INVALID_REGULAR_EXPRESSION), leave (-1) / static temporary leave (-2), group and
// member lookup (GROUP_ID_NOT_FOUND, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
// UNRELEASED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED, FENCED_MEMBER_EPOCH), member
// metadata update, subscription metadata refresh (a topic created, deleted or
// grown, or a new regex match, bumps the group epoch), target assignment when the
// group epoch is ahead of the assignment epoch, reconciliation of this member,
// session and rebalance timers. Every change is a record written through `write`
// (pushed to the step's output AND applied), so replay rebuilds the same state.
//
// Deliberate differences (documented in the README): regular expressions are
// resolved synchronously at each heartbeat with JavaScript's RegExp (whole-name
// match; RE2/J features JS lacks are not accepted, lookarounds and backreferences
// are refused) and are not stored as ConsumerGroupRegularExpression records; a
// live member rejoining with epoch 0 and its id is accepted (KAFKA-19233), its
// partitions freed.
//
// Migration (Kafka's group.consumer.migration.policy): a join into a classic group
// with members upgrades it (consumer-migration.ts) when the policy allows it, its
// protocol type is "consumer" and it fits group.consumer.max.size, else
// GROUP_ID_NOT_FOUND; removing the last consumer-protocol member of a group whose
// others are classic members downgrades it to a classic group when the policy
// allows it and it fits group.max.size.

import { ASSIGNORS, type AssignorMember } from './consumer-assignors.js';
import {
  ConsumerGroup,
  LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH,
  partitionMapsEqual,
  reconcile,
  sameAssignmentState,
  toPartitionList,
  type ConsumerMember,
  type ReconciledAssignment,
} from './consumer-group.js';
import {
  MemberState,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResult,
  type ClassicMemberMetadata,
  type ConsumerGroupRecord,
  type ConsumerGroupTimeouts,
  type ConsumerMemberMetadata,
  type ConsumerRebalanceCause,
  type TopicMetadata,
  type TopicMetadataView,
  type TopicPartitionList,
} from './consumer-types.js';
import { ConsumerRebalanceTracker } from './consumer-rebalances.js';
import { downgradedGroupValue, upgradeRecords } from './consumer-migration.js';
import { bytesEqual, type ClassicGroup } from './classic-group.js';
import { ErrorCode, type GroupCoordinatorConfig, type GroupMetadataValue, type StepOutput } from './types.js';

/** What the heartbeat logic needs from the coordinator state. */
export interface ConsumerHost {
  readonly config: GroupCoordinatorConfig;
  readonly topics: TopicMetadataView;
  readonly newUuid: () => string;
  /** The group's session timeout and heartbeat interval: its own configs, else the coordinator's. */
  timeouts(groupId: string): ConsumerGroupTimeouts;
  /** The consumer group, or 'other' when the id belongs to a group of another type. */
  consumerGroup(groupId: string): ConsumerGroup | 'other' | undefined;
  /** Whether the id belongs to a classic group that is empty (which a join replaces). */
  isEmptyClassicGroup(groupId: string): boolean;
  /** Writes the records that delete an empty classic group (its offsets are kept). */
  deleteEmptyClassicGroup(groupId: string, out: StepOutput): void;
  /** The classic group with this id, if any. */
  classicGroup(groupId: string): ClassicGroup | undefined;
  /** Upgrade: answers the classic group's parked requests REBALANCE_IN_PROGRESS and writes its tombstone. */
  retireClassicGroup(groupId: string, now: number, out: StepOutput): void;
  /** Downgrade: builds the classic group from its GroupMetadata value, writes that record, and starts a rebalance if asked. */
  installClassicGroup(groupId: string, value: GroupMetadataValue, rebalance: boolean, now: number, out: StepOutput): void;
  /** Appends the record to the step's output and applies it to the state. */
  write(record: ConsumerGroupRecord, out: StepOutput): void;
}

export class HeartbeatError {
  constructor(
    readonly errorCode: number,
    readonly message: string | null,
  ) {}
}

const LOOKAROUND_OR_BACKREF = /\(\?<?[=!]|\\[1-9]|\\k</;

/** A compiled whole-name matcher for a subscription regex, or null when the regex is invalid. */
export function compileTopicRegex(regex: string): RegExp | null {
  if (LOOKAROUND_OR_BACKREF.test(regex)) return null;
  try {
    return new RegExp(`^(?:${regex})$`, 'u');
  } catch {
    return null;
  }
}

export class ConsumerGroupHeartbeats {
  readonly tracker = new ConsumerRebalanceTracker();
  private regexCache = new Map<string, RegExp | null>();

  constructor(private readonly host: ConsumerHost) {}

  // -------------------------------------------------------------------------
  // Heartbeat

  heartbeat(req: ConsumerGroupHeartbeatRequest, now: number, out: StepOutput): ConsumerGroupHeartbeatResult {
    try {
      this.validate(req);
      if (req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return this.leave(req, now, out);
      return this.join(req, now, out);
    } catch (err) {
      if (!(err instanceof HeartbeatError)) throw err;
      return { errorCode: err.errorCode, errorMessage: err.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
  }

  private validate(req: ConsumerGroupHeartbeatRequest): void {
    if (req.groupId.trim() === '') throw invalidRequest("GroupId can't be empty.");
    if (req.instanceId !== null && req.instanceId.trim() === '') throw invalidRequest("InstanceId can't be empty.");
    if (req.rackId !== null && req.rackId.trim() === '') throw invalidRequest("RackId can't be empty.");
    if (req.apiVersion >= 1 || req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (req.memberId.trim() === '') throw invalidRequest("MemberId can't be empty.");
    }
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) throw invalidRequest('RebalanceTimeoutMs must be provided in first request.');
      if (req.topicPartitions === null || req.topicPartitions.length > 0) throw invalidRequest('TopicPartitions must be empty when (re-)joining.');
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
        throw invalidRequest('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
      }
    } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (req.instanceId === null) throw invalidRequest("InstanceId can't be null.");
    } else if (req.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      throw invalidRequest('MemberEpoch is invalid.');
    }
    const assignors = this.host.config.consumerAssignors;
    if (req.serverAssignor !== null && !assignors.includes(req.serverAssignor)) {
      throw new HeartbeatError(
        ErrorCode.UNSUPPORTED_ASSIGNOR,
        `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`,
      );
    }
    if (req.subscribedTopicRegex !== null && this.regex(req.subscribedTopicRegex) === null) {
      throw new HeartbeatError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${req.subscribedTopicRegex}\` is not a valid regular expression.`);
    }
  }

  private regex(source: string): RegExp | null {
    let re = this.regexCache.get(source);
    if (re === undefined) {
      re = compileTopicRegex(source);
      if (this.regexCache.size > 1000) this.regexCache = new Map();
      this.regexCache.set(source, re);
    }
    return re;
  }

  private existingGroup(groupId: string, create: boolean, now: number, out: StepOutput): ConsumerGroup | undefined {
    const g = this.host.consumerGroup(groupId);
    if (g === 'other') {
      if (create && this.host.isEmptyClassicGroup(groupId)) return undefined;
      const classic = create ? this.host.classicGroup(groupId) : undefined;
      if (classic !== undefined && this.canUpgrade(classic)) return this.upgrade(classic, now, out);
      throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    }
    if (g === undefined && !create) throw new HeartbeatError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`);
    return g;
  }

  /** Kafka's validateOnlineUpgrade. */
  private canUpgrade(classic: ClassicGroup): boolean {
    const policy = this.host.config.consumerMigrationPolicy;
    return (policy === 'upgrade' || policy === 'bidirectional') && classic.usesConsumerProtocol && classic.members.size <= this.host.config.consumerMaxGroupSize;
  }

  /**
   * Kafka's convertToConsumerGroup: the classic members become members of a
   * consumer group at epoch = generation, each keeping its last assignment as
   * current and target; their parked JoinGroup/SyncGroup are answered
   * REBALANCE_IN_PROGRESS. The joining member then bumps the epoch like any
   * other, so the classic members are told to rejoin.
   */
  private upgrade(classic: ClassicGroup, now: number, out: StepOutput): ConsumerGroup {
    const records = upgradeRecords(classic, this.host.topics);
    if (records === null) {
      throw new HeartbeatError(
        ErrorCode.GROUP_ID_NOT_FOUND,
        `Cannot upgrade the classic group ${classic.groupId} to consumer group because the embedded consumer protocol is malformed.`,
      );
    }
    if (classic.members.size >= this.host.config.consumerMaxGroupSize) {
      // Kafka converts, then refuses the newcomer, and the conversion is not kept.
      throw new HeartbeatError(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${this.host.config.consumerMaxGroupSize} members.`,
      );
    }
    this.host.retireClassicGroup(classic.groupId, now, out);
    for (const r of records) this.host.write(r, out);
    const group = this.host.consumerGroup(classic.groupId) as ConsumerGroup;
    for (const m of group.members.values()) {
      out.setTimer({ kind: 'consumer-session', groupId: group.groupId, memberId: m.memberId }, now + this.sessionTimeoutOf(group, m));
    }
    return group;
  }

  /** A classic member's own session timeout, else the group's. */
  sessionTimeoutOf(group: ConsumerGroup, m: ConsumerMember): number {
    return m.classicMemberMetadata?.sessionTimeoutMs ?? this.host.timeouts(group.groupId).sessionTimeoutMs;
  }

  private join(req: ConsumerGroupHeartbeatRequest, now: number, out: StepOutput): ConsumerGroupHeartbeatResult {
    const joining = req.memberEpoch === 0;
    let group = this.existingGroup(req.groupId, joining, now, out);
    let member: ConsumerMember | undefined;
    let replaced: ConsumerMember | undefined;
    const memberId = req.memberId !== '' ? req.memberId : this.host.newUuid();
    if (joining) {
      member = group?.members.get(memberId);
      if (req.instanceId !== null && member === undefined) {
        const previousId = group?.staticMembers.get(req.instanceId);
        const previous = previousId === undefined ? undefined : group!.members.get(previousId);
        if (previous !== undefined) {
          // A classic static member is replaced at once (Kafka).
          if (previous.classicMemberMetadata === null && previous.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            throw new HeartbeatError(
              ErrorCode.UNRELEASED_INSTANCE_ID,
              `Static member ${previous.memberId} with instance id ${req.instanceId} is not released yet.`,
            );
          }
          replaced = previous;
        }
      }
    } else {
      if (req.instanceId !== null) {
        const owner = group!.staticMembers.get(req.instanceId);
        if (owner === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
        if (owner !== memberId) {
          throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${req.instanceId} was fenced by member ${owner}.`);
        }
      }
      member = group!.members.get(memberId);
      if (member === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${req.groupId}.`);
      checkEpoch(member, req.memberEpoch, req.topicPartitions);
    }
    if (member === undefined && replaced === undefined && group !== undefined && group.members.size >= this.host.config.consumerMaxGroupSize) {
      throw new HeartbeatError(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${this.host.config.consumerMaxGroupSize} members.`,
      );
    }

    // From here on the heartbeat is accepted and writes.
    if (group === undefined) {
      if (this.host.isEmptyClassicGroup(req.groupId)) this.host.deleteEmptyClassicGroup(req.groupId, out);
      this.host.write({ type: 'cg-metadata', groupId: req.groupId, value: { epoch: 0 } }, out);
      group = this.host.consumerGroup(req.groupId) as ConsumerGroup;
    }
    let cause: ConsumerRebalanceCause | null = null;
    if (replaced !== undefined) {
      // A static member back with a new id takes over the old one's target and partitions.
      const target = group.targets.get(replaced.memberId);
      const current = currentValue(replaced);
      this.host.write({ type: 'cg-current', groupId: group.groupId, memberId: replaced.memberId, value: null }, out);
      this.host.write({ type: 'cg-target-member', groupId: group.groupId, memberId: replaced.memberId, value: null }, out);
      this.host.write({ type: 'cg-member', groupId: group.groupId, memberId: replaced.memberId, value: null }, out);
      this.host.write({ type: 'cg-member', groupId: group.groupId, memberId, value: { ...metadataOf(replaced), classicMemberMetadata: null } }, out);
      if (target !== undefined) this.host.write({ type: 'cg-target-member', groupId: group.groupId, memberId, value: { partitions: toPartitionList(target) } }, out);
      this.host.write({ type: 'cg-current', groupId: group.groupId, memberId, value: current }, out);
      this.cancelTimers(group, replaced.memberId, out);
      member = group.members.get(memberId);
    } else if (member !== undefined && joining) {
      // A live member rejoining (epoch 0, same id) owns nothing any more; a classic member switching protocol drops its classic timers.
      this.tracker.memberRemoved(group, member, now);
      if (member.classicMemberMetadata !== null) this.cancelTimers(group, memberId, out);
      this.host.write({
        type: 'cg-current',
        groupId: group.groupId,
        memberId,
        value: { memberEpoch: 0, previousMemberEpoch: 0, state: MemberState.STABLE, assigned: [], pendingRevocation: [] },
      }, out);
      const sameSubscriptionAsBefore =
        (req.subscribedTopicNames === null || sameNames(req.subscribedTopicNames, member.subscribedTopicNames)) &&
        (req.subscribedTopicRegex === null || req.subscribedTopicRegex === member.subscribedTopicRegex);
      if (sameSubscriptionAsBefore) cause = 'join';
    }
    const old = member;
    const meta: ConsumerMemberMetadata = {
      instanceId: req.instanceId ?? old?.instanceId ?? null,
      rackId: req.rackId ?? old?.rackId ?? null,
      clientId: req.clientId,
      clientHost: req.clientHost,
      subscribedTopicNames: req.subscribedTopicNames ?? old?.subscribedTopicNames ?? [],
      subscribedTopicRegex: req.subscribedTopicRegex ?? old?.subscribedTopicRegex ?? null,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : (old?.rebalanceTimeoutMs ?? -1),
      serverAssignor: req.serverAssignor ?? old?.serverAssignor ?? null,
      classicMemberMetadata: null,
    };
    member = this.updateMember(group, memberId, old, meta, cause, req.topicPartitions, now, out);
    const timeouts = this.host.timeouts(group.groupId);
    out.setTimer({ kind: 'consumer-session', groupId: group.groupId, memberId }, now + timeouts.sessionTimeoutMs);
    this.tracker.observe(group, now, out);

    const full =
      joining ||
      (req.rebalanceTimeoutMs !== -1 && (req.subscribedTopicNames !== null || req.subscribedTopicRegex !== null) && req.topicPartitions !== null);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: timeouts.heartbeatIntervalMs,
      assignment: full || old === undefined || !partitionMapsEqual(old.assigned, member.assigned) ? toPartitionList(member.assigned) : null,
    };
  }

  /**
   * Steps 1-3 of a heartbeat or a classic member's JoinGroup: writes the member's
   * metadata if it changed; bumps the group epoch if the member is new, its
   * subscription changed, or the subscribed topics did (or for `cause`); computes
   * the target if the epoch moved; reconciles the member toward it.
   */
  updateMember(
    group: ConsumerGroup,
    memberId: string,
    old: ConsumerMember | undefined,
    meta: ConsumerMemberMetadata,
    cause: ConsumerRebalanceCause | null,
    owned: TopicPartitionList | null,
    now: number,
    out: StepOutput,
  ): ConsumerMember {
    if (old === undefined || !sameMetadata(old, meta)) this.host.write({ type: 'cg-member', groupId: group.groupId, memberId, value: meta }, out);
    if (old === undefined) cause = 'join';
    else if (!sameSubscription(old, meta)) cause ??= 'subscription-change';
    const metadata = this.subscriptionMetadata(group);
    if (!sameTopics(metadata, group.subscriptionMetadata)) {
      this.host.write({ type: 'cg-partition-metadata', groupId: group.groupId, value: { topics: metadata } }, out);
      cause ??= 'metadata-change';
    }
    if (cause !== null) this.bumpEpoch(group, cause, now, out);
    if (group.groupEpoch > group.assignmentEpoch) this.computeTarget(group, now, out);
    this.reconcileMember(group, group.members.get(memberId)!, owned, now, out);
    return group.members.get(memberId)!;
  }

  get config(): GroupCoordinatorConfig {
    return this.host.config;
  }

  reconcileMember(group: ConsumerGroup, member: ConsumerMember, owned: TopicPartitionList | null, now: number, out: StepOutput): void {
    const target = group.targets.get(member.memberId) ?? new Map();
    const next = reconcile(group, member, group.assignmentEpoch, target, owned);
    if (sameAssignmentState(member, next)) return;
    this.host.write({ type: 'cg-current', groupId: group.groupId, memberId: member.memberId, value: assignmentValue(next) }, out);
    // Classic members have join and sync timers instead.
    if (member.classicMemberMetadata !== null) return;
    const timer = { kind: 'consumer-rebalance' as const, groupId: group.groupId, memberId: member.memberId, epoch: next.memberEpoch };
    if (next.state === MemberState.UNREVOKED_PARTITIONS) {
      if (member.state !== MemberState.UNREVOKED_PARTITIONS || member.memberEpoch !== next.memberEpoch) {
        out.setTimer(timer, now + Math.max(0, member.rebalanceTimeoutMs));
      }
    } else if (member.state === MemberState.UNREVOKED_PARTITIONS) {
      out.cancelTimer(timer);
    }
  }

  bumpEpoch(group: ConsumerGroup, cause: ConsumerRebalanceCause, now: number, out: StepOutput): void {
    this.tracker.epochBumped(group, cause, now);
    this.host.write({ type: 'cg-metadata', groupId: group.groupId, value: { epoch: group.groupEpoch + 1 } }, out);
  }

  /** The subscribed topics (by name or regex) that exist, sorted by name. */
  subscriptionMetadata(group: ConsumerGroup): TopicMetadata[] {
    const names = new Set<string>(group.subscribedNames.keys());
    for (const n of this.regexMatches(new Set(group.subscribedRegexes.keys()))) names.add(n);
    const out: TopicMetadata[] = [];
    for (const n of names) {
      const t = this.host.topics.topicByName(n);
      if (t !== undefined) out.push({ id: t.id, name: t.name, numPartitions: t.numPartitions });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private regexMatches(regexes: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    if (regexes.size === 0) return out;
    const compiled = [...regexes].map((r) => this.regex(r)).filter((r): r is RegExp => r !== null);
    for (const name of this.host.topics.topicNames()) if (compiled.some((re) => re.test(name))) out.add(name);
    return out;
  }

  /** The assignor of the group: the one most members name, else the default (first configured). */
  assignorOf(group: ConsumerGroup): string {
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best = this.host.config.consumerAssignors[0] ?? 'uniform';
    let bestVotes = 0;
    for (const name of this.host.config.consumerAssignors) {
      const v = votes.get(name) ?? 0;
      if (v > bestVotes) [best, bestVotes] = [name, v];
    }
    return best;
  }

  computeTarget(group: ConsumerGroup, now: number, out: StepOutput): void {
    const topics = new Map<string, number>();
    const byName = new Map<string, TopicMetadata>();
    for (const t of group.subscriptionMetadata) {
      topics.set(t.id, t.numPartitions);
      byName.set(t.name, t);
    }
    const members: AssignorMember[] = [];
    for (const m of group.members.values()) {
      const ids = new Set<string>();
      for (const n of m.subscribedTopicNames) {
        const t = byName.get(n);
        if (t !== undefined) ids.add(t.id);
      }
      if (m.subscribedTopicRegex !== null && m.subscribedTopicRegex !== '') {
        const re = this.regex(m.subscribedTopicRegex);
        if (re !== null) for (const t of group.subscriptionMetadata) if (re.test(t.name)) ids.add(t.id);
      }
      members.push({ memberId: m.memberId, instanceId: m.instanceId, topics: ids, current: group.targets.get(m.memberId) });
    }
    const result = ASSIGNORS[this.assignorOf(group)]({ members, topics });
    this.tracker.targetsComputed(group, result, now);
    for (const [memberId, target] of result) {
      const old = group.targets.get(memberId);
      if (old !== undefined && partitionMapsEqual(old, target)) continue;
      this.host.write({ type: 'cg-target-member', groupId: group.groupId, memberId, value: { partitions: toPartitionList(target) } }, out);
    }
    this.host.write({ type: 'cg-target-metadata', groupId: group.groupId, value: { assignmentEpoch: group.groupEpoch } }, out);
  }

  // -------------------------------------------------------------------------
  // Leave, fencing, timers

  private leave(req: ConsumerGroupHeartbeatRequest, now: number, out: StepOutput): ConsumerGroupHeartbeatResult {
    const group = this.existingGroup(req.groupId, false, now, out)!;
    let member: ConsumerMember | undefined;
    if (req.instanceId !== null) {
      const owner = group.staticMembers.get(req.instanceId);
      if (owner === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (owner !== req.memberId) {
        throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${owner}.`);
      }
      member = group.members.get(owner);
    } else {
      member = group.members.get(req.memberId);
    }
    if (member === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    const reply = (epoch: number): ConsumerGroupHeartbeatResult => ({
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: epoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    });
    if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // Temporary leave: partitions stay reserved for the member's return, no new epoch.
      const value = { ...currentValue(member), memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, pendingRevocation: [] };
      this.host.write({ type: 'cg-current', groupId: group.groupId, memberId: member.memberId, value }, out);
      out.cancelTimer({ kind: 'consumer-rebalance', groupId: group.groupId, memberId: member.memberId, epoch: 0 });
      this.tracker.observe(group, now, out);
      return reply(LEAVE_GROUP_STATIC_MEMBER_EPOCH);
    }
    this.fence(group, member, 'leave', now, out);
    return reply(LEAVE_GROUP_MEMBER_EPOCH);
  }

  /**
   * Removes a member (leave, session expiry, revocation, join or sync timeout)
   * and bumps the group epoch; or, when it was the last member on the consumer
   * protocol among classic ones, downgrades the group (Kafka's consumerGroupFenceMember).
   */
  fence(group: ConsumerGroup, member: ConsumerMember, cause: ConsumerRebalanceCause, now: number, out: StepOutput): void {
    if (this.canDowngrade(group, member.memberId)) {
      this.downgrade(group, member.memberId, now, out);
      return;
    }
    this.removeMember(group, member, now, out);
    this.afterRemoval(group, cause, now, out);
  }

  /** The member's three tombstones; its timers cancelled. */
  removeMember(group: ConsumerGroup, member: ConsumerMember, now: number, out: StepOutput): void {
    this.tracker.memberRemoved(group, member, now);
    this.host.write({ type: 'cg-current', groupId: group.groupId, memberId: member.memberId, value: null }, out);
    this.host.write({ type: 'cg-target-member', groupId: group.groupId, memberId: member.memberId, value: null }, out);
    this.host.write({ type: 'cg-member', groupId: group.groupId, memberId: member.memberId, value: null }, out);
    this.cancelTimers(group, member.memberId, out);
  }

  /** After members left: the subscription metadata without them, and a new group epoch. */
  afterRemoval(group: ConsumerGroup, cause: ConsumerRebalanceCause, now: number, out: StepOutput): void {
    const metadata = this.subscriptionMetadata(group);
    if (!sameTopics(metadata, group.subscriptionMetadata)) {
      this.host.write({ type: 'cg-partition-metadata', groupId: group.groupId, value: { topics: metadata } }, out);
    }
    this.bumpEpoch(group, cause, now, out);
    this.tracker.observe(group, now, out);
  }

  cancelTimers(group: ConsumerGroup, memberId: string, out: StepOutput): void {
    const groupId = group.groupId;
    out.cancelTimer({ kind: 'consumer-session', groupId, memberId });
    out.cancelTimer({ kind: 'consumer-rebalance', groupId, memberId, epoch: 0 });
    out.cancelTimer({ kind: 'consumer-join', groupId, memberId });
    out.cancelTimer({ kind: 'consumer-sync', groupId, memberId });
    group.classicJoinTimers.delete(memberId);
  }

  /** Kafka's validateOnlineDowngradeWithFencedMember. */
  private canDowngrade(group: ConsumerGroup, leavingMemberId: string): boolean {
    return group.allMembersUseClassicProtocolExcept(leavingMemberId) && group.members.size > 1 && this.downgradeAllowed(group.members.size - 1);
  }

  downgradeAllowed(classicMembers: number): boolean {
    const policy = this.host.config.consumerMigrationPolicy;
    return (policy === 'downgrade' || policy === 'bidirectional') && classicMembers <= this.host.config.maxGroupSize;
  }

  /**
   * Kafka's convertToClassicGroup: the consumer group is tombstoned (every
   * member's records, then its own), and a classic group of the remaining
   * members is written at generation = group epoch, each keeping its target
   * assignment, then rebalanced so they rejoin under the classic protocol (not
   * when a classic static member just took the leaving member's place).
   */
  downgrade(group: ConsumerGroup, leavingMemberId: string, now: number, out: StepOutput, rebalance = true): void {
    const value = downgradedGroupValue(group, leavingMemberId, (id) => this.host.topics.topicById(id)?.name, now);
    for (const m of group.members.values()) this.cancelTimers(group, m.memberId, out);
    this.tracker.forget(group.groupId);
    for (const r of consumerGroupTombstones(group)) this.host.write(r, out);
    this.host.installClassicGroup(group.groupId, value, rebalance, now, out);
  }

  /** Session expiry, and a classic member that did not rejoin or sync in time. */
  onSessionTimer(group: ConsumerGroup, memberId: string, now: number, out: StepOutput): void {
    const member = group.members.get(memberId);
    if (member !== undefined) this.fence(group, member, 'timeout', now, out);
  }

  onRebalanceTimer(group: ConsumerGroup, memberId: string, epoch: number, now: number, out: StepOutput): void {
    const member = group.members.get(memberId);
    if (member !== undefined && member.state === MemberState.UNREVOKED_PARTITIONS && member.memberEpoch === epoch) {
      this.fence(group, member, 'timeout', now, out);
    }
  }

  /** After loading: session timers for every member, rebalance timers for those still revoking. */
  armTimers(group: ConsumerGroup, now: number, out: StepOutput): void {
    for (const m of group.members.values()) {
      out.setTimer({ kind: 'consumer-session', groupId: group.groupId, memberId: m.memberId }, now + this.sessionTimeoutOf(group, m));
      if (m.state === MemberState.UNREVOKED_PARTITIONS) {
        out.setTimer({ kind: 'consumer-rebalance', groupId: group.groupId, memberId: m.memberId, epoch: m.memberEpoch }, now + Math.max(0, m.rebalanceTimeoutMs));
      }
    }
  }

  /** Kafka's ConsumerGroup.validateOffsetCommit / validateOffsetFetch. */
  validateMemberEpoch(group: ConsumerGroup, memberId: string | null, memberEpoch: number, apiVersion: number | null): number {
    if (memberEpoch < 0 && (group.members.size === 0 || memberId === null)) return ErrorCode.NONE;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A classic member commits with its generation (= member epoch), any OffsetCommit version.
    if (member.classicMemberMetadata !== null) return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (apiVersion !== null && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    if (memberEpoch > member.memberEpoch) return ErrorCode.FENCED_MEMBER_EPOCH;
    if (memberEpoch < member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }
}

/** Kafka's throwIfMemberEpochIsInvalid: the previous epoch is accepted when the owned partitions are a subset of the assigned ones (a lost response). */
function checkEpoch(member: ConsumerMember, received: number, owned: TopicPartitionList | null): void {
  if (received > member.memberEpoch) throw fencedEpoch(member, received);
  if (received < member.memberEpoch) {
    if (received !== member.previousMemberEpoch || owned === null) throw fencedEpoch(member, received);
    for (const t of owned) {
      const mine = member.assigned.get(t.topicId);
      if (t.partitions.some((p) => mine === undefined || !mine.has(p))) throw fencedEpoch(member, received);
    }
  }
}

function fencedEpoch(member: ConsumerMember, received: number): HeartbeatError {
  return new HeartbeatError(
    ErrorCode.FENCED_MEMBER_EPOCH,
    `The consumer group member has a ${received > member.memberEpoch ? 'greater' : 'smaller'} member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
  );
}

function invalidRequest(message: string): HeartbeatError {
  return new HeartbeatError(ErrorCode.INVALID_REQUEST, message);
}

function metadataOf(m: ConsumerMember): ConsumerMemberMetadata {
  return {
    instanceId: m.instanceId,
    rackId: m.rackId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames,
    subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor,
    classicMemberMetadata: m.classicMemberMetadata,
  };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function sameSubscription(a: ConsumerMemberMetadata, b: ConsumerMemberMetadata): boolean {
  return a.subscribedTopicRegex === b.subscribedTopicRegex && sameNames(a.subscribedTopicNames, b.subscribedTopicNames);
}

function sameMetadata(a: ConsumerMemberMetadata, b: ConsumerMemberMetadata): boolean {
  return (
    sameSubscription(a, b) &&
    a.instanceId === b.instanceId &&
    a.rackId === b.rackId &&
    a.clientId === b.clientId &&
    a.clientHost === b.clientHost &&
    a.rebalanceTimeoutMs === b.rebalanceTimeoutMs &&
    a.serverAssignor === b.serverAssignor &&
    sameClassicMetadata(a.classicMemberMetadata, b.classicMemberMetadata)
  );
}

function sameClassicMetadata(a: ClassicMemberMetadata | null, b: ClassicMemberMetadata | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.sessionTimeoutMs === b.sessionTimeoutMs &&
    a.supportedProtocols.length === b.supportedProtocols.length &&
    a.supportedProtocols.every((p, i) => p.name === b.supportedProtocols[i].name && bytesEqual(p.metadata, b.supportedProtocols[i].metadata))
  );
}

/** Kafka's ConsumerGroup.createGroupTombstoneRecords: every member's records, then the group's. */
export function consumerGroupTombstones(group: ConsumerGroup): ConsumerGroupRecord[] {
  const groupId = group.groupId;
  const out: ConsumerGroupRecord[] = [];
  for (const memberId of group.members.keys()) out.push({ type: 'cg-current', groupId, memberId, value: null });
  for (const memberId of group.members.keys()) out.push({ type: 'cg-target-member', groupId, memberId, value: null });
  out.push({ type: 'cg-target-metadata', groupId, value: null });
  for (const memberId of group.members.keys()) out.push({ type: 'cg-member', groupId, memberId, value: null });
  out.push({ type: 'cg-partition-metadata', groupId, value: null });
  out.push({ type: 'cg-metadata', groupId, value: null });
  return out;
}

function sameTopics(a: readonly TopicMetadata[], b: readonly TopicMetadata[]): boolean {
  return a.length === b.length && a.every((t, i) => t.id === b[i].id && t.name === b[i].name && t.numPartitions === b[i].numPartitions);
}

function assignmentValue(a: ReconciledAssignment) {
  return {
    memberEpoch: a.memberEpoch,
    previousMemberEpoch: a.previousMemberEpoch,
    state: a.state,
    assigned: toPartitionList(a.assigned),
    pendingRevocation: toPartitionList(a.pendingRevocation),
  };
}

function currentValue(m: ConsumerMember) {
  return assignmentValue(m);
}
