// Online conversions between classic and consumer groups, as data: the records
// that recreate a classic group as a consumer group (Kafka's
// ConsumerGroup.fromClassicGroup + createConsumerGroupRecords) and the
// GroupMetadata value of the classic group a consumer group becomes
// (ClassicGroup.fromConsumerGroup + createClassicGroupRecords). When to convert,
// and the tombstones, are the heartbeat logic's (consumer-heartbeat.ts).

import type { PartitionMap } from './consumer-assignors.js';
import type { ClassicGroup } from './classic-group.js';
import { namedPartitions, toPartitionList, type ConsumerGroup } from './consumer-group.js';
import { embeddedVersion, readAssignment, readSubscription, writeAssignment } from './consumer-protocol-bytes.js';
import { MemberState, type ConsumerGroupRecord, type ConsumerMemberMetadata, type TopicMetadataView } from './consumer-types.js';
import type { GroupMemberMetadata, GroupMetadataValue } from './types.js';

/**
 * The records of the consumer group a classic group becomes: every member at
 * epoch = generation, STABLE, its last assignment (topics the cluster does not
 * know dropped) as both target and current assignment. Null when a member's
 * subscription or assignment does not parse.
 */
export function upgradeRecords(classic: ClassicGroup, topics: TopicMetadataView): ConsumerGroupRecord[] | null {
  const groupId = classic.groupId;
  const epoch = classic.generationId;
  const members: { memberId: string; meta: ConsumerMemberMetadata; assigned: PartitionMap }[] = [];
  for (const m of classic.members.values()) {
    const chosen = classic.protocolName === null ? m.protocols[0] : m.protocols.find((p) => p.name === classic.protocolName);
    const subscription = chosen === undefined ? null : readSubscription(chosen.metadata);
    const assignment = readAssignment(m.assignment);
    if (subscription === null || assignment === null) return null;
    const assigned: PartitionMap = new Map();
    for (const [name, partitions] of assignment) {
      const t = topics.topicByName(name);
      if (t !== undefined && partitions.length > 0) assigned.set(t.id, new Set(partitions));
    }
    members.push({
      memberId: m.memberId,
      assigned,
      meta: {
        instanceId: m.groupInstanceId,
        rackId: subscription.rackId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: subscription.topics,
        subscribedTopicRegex: null,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        serverAssignor: null,
        classicMemberMetadata: { sessionTimeoutMs: m.sessionTimeoutMs, supportedProtocols: m.protocols },
      },
    });
  }
  const records: ConsumerGroupRecord[] = [];
  for (const m of members) records.push({ type: 'cg-member', groupId, memberId: m.memberId, value: m.meta });
  records.push({ type: 'cg-metadata', groupId, value: { epoch } });
  for (const m of members) records.push({ type: 'cg-target-member', groupId, memberId: m.memberId, value: { partitions: toPartitionList(m.assigned) } });
  records.push({ type: 'cg-target-metadata', groupId, value: { assignmentEpoch: epoch } });
  for (const m of members) {
    records.push({
      type: 'cg-current',
      groupId,
      memberId: m.memberId,
      value: { memberEpoch: epoch, previousMemberEpoch: epoch, state: MemberState.STABLE, assigned: toPartitionList(m.assigned), pendingRevocation: [] },
    });
  }
  return records;
}

/**
 * The classic group a consumer group becomes once `leavingMemberId` (its last
 * consumer-protocol member) is gone: Stable at generation = group epoch, the
 * protocol every member supports (by vote, as a classic group selects it), the
 * first member as leader, each member's target assignment written at its
 * subscription's version.
 */
export function downgradedGroupValue(
  group: ConsumerGroup,
  leavingMemberId: string,
  topicName: (topicId: string) => string | undefined,
  now: number,
): GroupMetadataValue {
  const members = [...group.members.values()].filter((m) => m.memberId !== leavingMemberId && m.classicMemberMetadata !== null);
  const support = new Map<string, number>();
  for (const m of members) for (const p of m.classicMemberMetadata!.supportedProtocols) support.set(p.name, (support.get(p.name) ?? 0) + 1);
  const votes = new Map<string, number>();
  for (const m of members) {
    const vote = m.classicMemberMetadata!.supportedProtocols.find((p) => support.get(p.name) === members.length);
    if (vote !== undefined) votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
  }
  let protocol = '';
  let best = -1;
  for (const [name, n] of votes) if (n > best) [protocol, best] = [name, n];
  const out: GroupMemberMetadata[] = members.map((m) => {
    const classic = m.classicMemberMetadata!;
    const subscription = classic.supportedProtocols.find((p) => p.name === protocol)?.metadata ?? new Uint8Array(0);
    const target = group.targets.get(m.memberId) ?? new Map();
    return {
      memberId: m.memberId,
      groupInstanceId: m.instanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: classic.sessionTimeoutMs,
      subscription,
      assignment: writeAssignment(namedPartitions(target, topicName), embeddedVersion(subscription) ?? 0),
    };
  });
  return {
    protocolType: 'consumer',
    generation: group.groupEpoch,
    protocol,
    leader: out[0]?.memberId ?? null,
    currentStateTimestamp: now,
    members: out,
  };
}
