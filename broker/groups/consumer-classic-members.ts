// Classic members of a consumer group (KIP-848 mixed groups, Kafka's
// classicGroup{Join,Sync,Heartbeat,Leave}ToConsumerGroup): JoinGroup,
// SyncGroup, Heartbeat and LeaveGroup of members that speak the classic protocol,
// served by the consumer group's server-side assignment.
// - JoinGroup (protocol type "consumer", a protocol every classic member shares,
//   else INCONSISTENT_GROUP_PROTOCOL; GROUP_MAX_SIZE_REACHED; MEMBER_ID_REQUIRED
//   v4+ for a dynamic member without id) creates or updates the member from its
//   embedded subscription (topics, rack, owned partitions), bumps the group epoch
//   when its subscription changed, computes the target and reconciles the member
//   at once; the answer is immediate: generation = member epoch, the member's
//   first protocol, no leader (nobody assigns), and a sync timer is armed.
// - SyncGroup answers the member's assigned partitions in the consumer protocol
//   at its subscription's version (ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL,
//   REBALANCE_IN_PROGRESS when the group epoch moved on).
// - Heartbeat answers REBALANCE_IN_PROGRESS when the member must rejoin: the
//   group epoch is ahead of its epoch, it owes revocations, or partitions it waits
//   for were released; a join timer (its rebalance timeout) then fences it if it
//   does not rejoin.
// - LeaveGroup removes the named classic members and bumps the epoch once.
// - A classic static member taking the place of the last consumer-protocol member
//   downgrades the group to a Stable classic group (no rebalance), as Kafka does.

import type { ConsumerGroupHeartbeats } from './consumer-heartbeat.js';
import { HeartbeatError } from './consumer-heartbeat.js';
import { namedPartitions, toPartitionList, type ConsumerGroup, type ConsumerMember } from './consumer-group.js';
import { embeddedVersion, readSubscription, writeAssignment } from './consumer-protocol-bytes.js';
import { MemberState, type ConsumerGroupRecord, type ConsumerMemberMetadata, type TopicMetadataView, type TopicPartitionList } from './consumer-types.js';
import { joinError } from './classic-group.js';
import {
  EMPTY_BYTES,
  ErrorCode,
  UNKNOWN_MEMBER_ID,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type JoinGroupResult,
  type LeaveGroupMemberResult,
  type LeaveGroupRequest,
  type LeaveGroupResult,
  type StepOutput,
  type SyncGroupRequest,
  type SyncGroupResult,
} from './types.js';

export class ClassicMembersOfConsumerGroups {
  constructor(
    private readonly hb: ConsumerGroupHeartbeats,
    private readonly topics: TopicMetadataView,
    private readonly write: (record: ConsumerGroupRecord, out: StepOutput) => void,
    private readonly newUuid: () => string,
  ) {}

  // -------------------------------------------------------------------------
  // JoinGroup

  join(group: ConsumerGroup, req: JoinGroupRequest, now: number, out: StepOutput): JoinGroupResult {
    try {
      return this.tryJoin(group, req, now, out);
    } catch (err) {
      if (!(err instanceof HeartbeatError)) throw err;
      return joinError(req.memberId, err.errorCode);
    }
  }

  private tryJoin(group: ConsumerGroup, req: JoinGroupRequest, now: number, out: StepOutput): JoinGroupResult {
    const isUnknown = req.memberId === UNKNOWN_MEMBER_ID;
    const memberId = isUnknown ? this.newUuid() : req.memberId;
    const max = this.hb.config.consumerMaxGroupSize;
    if (!group.members.has(memberId) && group.members.size >= max) {
      throw new HeartbeatError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${max} members.`);
    }
    if (!group.supportsClassicProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      throw new HeartbeatError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `Member ${memberId}'s protocols are not supported.`);
    }
    if (req.apiVersion >= 4 && isUnknown && req.groupInstanceId === null) return { ...joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED), memberId };
    // Every protocol carries the same subscription: Kafka reads the first.
    const subscription = readSubscription(req.protocols[0].metadata);
    if (subscription === null) throw new HeartbeatError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Malformed embedded consumer protocol in subscription.');

    let old: ConsumerMember | undefined = group.members.get(memberId);
    let replacedConsumerMember = false;
    if (req.groupInstanceId !== null) {
      const owner = group.staticMembers.get(req.groupInstanceId);
      const previous = owner === undefined ? undefined : group.members.get(owner);
      if (!isUnknown) {
        if (previous === undefined) throw new HeartbeatError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.groupInstanceId} is unknown.`);
        if (previous.memberId !== memberId) throw new HeartbeatError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} was fenced.`);
      } else if (previous !== undefined) {
        replacedConsumerMember = previous.classicMemberMetadata === null;
        this.replace(group, previous, memberId, now, out);
        old = group.members.get(memberId);
      }
    }

    const meta: ConsumerMemberMetadata = {
      instanceId: req.groupInstanceId ?? old?.instanceId ?? null,
      rackId: subscription.rackId ?? old?.rackId ?? null,
      clientId: req.clientId,
      clientHost: req.clientHost,
      subscribedTopicNames: subscription.topics,
      subscribedTopicRegex: old?.subscribedTopicRegex ?? null,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs !== -1 ? req.rebalanceTimeoutMs : (old?.rebalanceTimeoutMs ?? -1),
      serverAssignor: old?.serverAssignor ?? null,
      classicMemberMetadata: { sessionTimeoutMs: req.sessionTimeoutMs, supportedProtocols: req.protocols },
    };
    const owned: { topicId: string; partitions: readonly number[] }[] = [];
    for (const tp of subscription.ownedPartitions) {
      const t = this.topics.topicByName(tp.topic);
      if (t !== undefined) owned.push({ topicId: t.id, partitions: tp.partitions });
    }
    const member = this.hb.updateMember(group, memberId, old, meta, null, owned, now, out);

    out.cancelTimer({ kind: 'consumer-join', groupId: group.groupId, memberId });
    group.classicJoinTimers.delete(memberId);
    if (replacedConsumerMember && group.classicMemberCount === group.members.size && this.hb.downgradeAllowed(group.members.size)) {
      this.hb.downgrade(group, '', now, out, false);
    } else {
      out.setTimer({ kind: 'consumer-session', groupId: group.groupId, memberId }, now + req.sessionTimeoutMs);
      out.setTimer({ kind: 'consumer-sync', groupId: group.groupId, memberId }, now + Math.max(0, member.rebalanceTimeoutMs));
      this.hb.tracker.observe(group, now, out);
    }
    return {
      errorCode: ErrorCode.NONE,
      generationId: member.memberEpoch,
      protocolType: 'consumer',
      protocolName: req.protocols[0].name,
      leader: '',
      skipAssignment: false,
      memberId,
      members: [],
    };
  }

  /** Kafka's replaceMember: a static member back with a new id takes over the old one's records. */
  private replace(group: ConsumerGroup, previous: ConsumerMember, memberId: string, now: number, out: StepOutput): void {
    const groupId = group.groupId;
    const target = group.targets.get(previous.memberId);
    this.hb.tracker.memberRemoved(group, previous, now);
    this.write({ type: 'cg-current', groupId, memberId: previous.memberId, value: null }, out);
    this.write({ type: 'cg-target-member', groupId, memberId: previous.memberId, value: null }, out);
    this.write({ type: 'cg-member', groupId, memberId: previous.memberId, value: null }, out);
    const { memberId: _id, memberEpoch: _e, previousMemberEpoch: _p, state, assigned, pendingRevocation, ...meta } = previous;
    this.write({ type: 'cg-member', groupId, memberId, value: meta }, out);
    this.write({ type: 'cg-target-member', groupId, memberId, value: { partitions: toPartitionList(target ?? new Map()) } }, out);
    this.write(
      {
        type: 'cg-current',
        groupId,
        memberId,
        value: { memberEpoch: 0, previousMemberEpoch: 0, state, assigned: toPartitionList(assigned), pendingRevocation: toPartitionList(pendingRevocation) },
      },
      out,
    );
    this.hb.cancelTimers(group, previous.memberId, out);
  }

  // -------------------------------------------------------------------------
  // SyncGroup, Heartbeat

  sync(group: ConsumerGroup, req: SyncGroupRequest, now: number, out: StepOutput): SyncGroupResult {
    const fail = (errorCode: number): SyncGroupResult => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES });
    const member = this.classicMember(group, req.memberId, req.groupInstanceId);
    if (typeof member === 'number') return fail(member);
    if (req.generationId !== member.memberEpoch) return fail(ErrorCode.ILLEGAL_GENERATION);
    const first = member.classicMemberMetadata!.supportedProtocols[0];
    if ((req.protocolType !== null && req.protocolType !== 'consumer') || (req.protocolName !== null && req.protocolName !== first.name)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (group.groupEpoch > member.memberEpoch && member.state !== MemberState.UNREVOKED_PARTITIONS) {
      this.armJoinTimer(group, member, now, out);
      return fail(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    out.cancelTimer({ kind: 'consumer-sync', groupId: group.groupId, memberId: member.memberId });
    out.setTimer({ kind: 'consumer-session', groupId: group.groupId, memberId: member.memberId }, now + this.hb.sessionTimeoutOf(group, member));
    const topicName = (id: string) => this.topics.topicById(id)?.name;
    return {
      errorCode: ErrorCode.NONE,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignment: writeAssignment(namedPartitions(member.assigned, topicName), embeddedVersion(first.metadata) ?? 0),
    };
  }

  heartbeat(group: ConsumerGroup, req: HeartbeatRequest, now: number, out: StepOutput): number {
    const member = this.classicMember(group, req.memberId, req.groupInstanceId);
    if (typeof member === 'number') return member;
    if (req.generationId !== member.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    out.setTimer({ kind: 'consumer-session', groupId: group.groupId, memberId: member.memberId }, now + this.hb.sessionTimeoutOf(group, member));
    if (
      member.memberEpoch < group.groupEpoch ||
      member.state === MemberState.UNREVOKED_PARTITIONS ||
      (member.state === MemberState.UNRELEASED_PARTITIONS && !group.waitingOnUnreleasedPartition(member))
    ) {
      this.armJoinTimer(group, member, now, out);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  /** Kafka's scheduleConsumerGroupJoinTimeoutIfAbsent. */
  private armJoinTimer(group: ConsumerGroup, member: ConsumerMember, now: number, out: StepOutput): void {
    if (group.classicJoinTimers.has(member.memberId)) return;
    group.classicJoinTimers.add(member.memberId);
    out.setTimer({ kind: 'consumer-join', groupId: group.groupId, memberId: member.memberId }, now + Math.max(0, member.rebalanceTimeoutMs));
  }

  /** Kafka's validateConsumerGroupMember + throwIfMemberDoesNotUseClassicProtocol; an error code when it fails. */
  private classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerMember | number {
    let member: ConsumerMember | undefined;
    if (instanceId === null) member = group.members.get(memberId);
    else {
      const owner = group.staticMembers.get(instanceId);
      if (owner === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (owner !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      member = group.members.get(owner);
    }
    if (member === undefined || member.classicMemberMetadata === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    return member;
  }

  // -------------------------------------------------------------------------
  // LeaveGroup

  leave(group: ConsumerGroup, req: LeaveGroupRequest, now: number, out: StepOutput): LeaveGroupResult {
    const results: LeaveGroupMemberResult[] = [];
    let removed = 0;
    for (const identity of req.members) {
      const instanceId = identity.groupInstanceId;
      let member: ConsumerMember | number;
      if (instanceId === null) member = this.classicMember(group, identity.memberId, null);
      else {
        const owner = group.staticMembers.get(instanceId);
        // An admin may remove a static member by instance id alone.
        member = owner === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : this.classicMember(group, identity.memberId === UNKNOWN_MEMBER_ID ? owner : identity.memberId, instanceId);
      }
      if (typeof member === 'number') {
        results.push({ memberId: identity.memberId, groupInstanceId: instanceId, errorCode: member });
        continue;
      }
      this.hb.removeMember(group, member, now, out);
      removed++;
      results.push({ memberId: member.memberId, groupInstanceId: instanceId, errorCode: ErrorCode.NONE });
    }
    if (removed > 0) this.hb.afterRemoval(group, 'leave', now, out);
    return { errorCode: ErrorCode.NONE, members: results };
  }
}
