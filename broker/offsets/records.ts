// The group coordinator's records in Kafka's own __consumer_offsets key/value
// schemas: key = int16 version + key struct, value = int16 version + value
// struct, a null value is a tombstone. Versions written are the ones Kafka
// writes today: OffsetCommitKey v1, OffsetCommitValue v3 (v1 when the commit
// carries an expire timestamp), GroupMetadataKey v2, GroupMetadataValue v3, and
// the consumer-group (KIP-848) records: keys 3-8 with value version 0.
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { readOffsetCommitKey, writeOffsetCommitKey } from '../../protocol/messages/coordinator-records/offset-commit-key.js';
import { readOffsetCommitValue, writeOffsetCommitValue } from '../../protocol/messages/coordinator-records/offset-commit-value.js';
import { readGroupMetadataKey, writeGroupMetadataKey } from '../../protocol/messages/coordinator-records/group-metadata-key.js';
import { readGroupMetadataValue, writeGroupMetadataValue } from '../../protocol/messages/coordinator-records/group-metadata-value.js';
import type { CoordinatorRecord } from '../groups/types.js';
import type { ConsumerGroupRecord, TopicPartitionList } from '../groups/consumer-types.js';
import * as cgMetaKey from '../../protocol/messages/coordinator-records/consumer-group-metadata-key.js';
import * as cgMetaValue from '../../protocol/messages/coordinator-records/consumer-group-metadata-value.js';
import * as cgPartKey from '../../protocol/messages/coordinator-records/consumer-group-partition-metadata-key.js';
import * as cgPartValue from '../../protocol/messages/coordinator-records/consumer-group-partition-metadata-value.js';
import * as cgMemberKey from '../../protocol/messages/coordinator-records/consumer-group-member-metadata-key.js';
import * as cgMemberValue from '../../protocol/messages/coordinator-records/consumer-group-member-metadata-value.js';
import * as cgTargetMetaKey from '../../protocol/messages/coordinator-records/consumer-group-target-assignment-metadata-key.js';
import * as cgTargetMetaValue from '../../protocol/messages/coordinator-records/consumer-group-target-assignment-metadata-value.js';
import * as cgTargetKey from '../../protocol/messages/coordinator-records/consumer-group-target-assignment-member-key.js';
import * as cgTargetValue from '../../protocol/messages/coordinator-records/consumer-group-target-assignment-member-value.js';
import * as cgCurrentKey from '../../protocol/messages/coordinator-records/consumer-group-current-member-assignment-key.js';
import * as cgCurrentValue from '../../protocol/messages/coordinator-records/consumer-group-current-member-assignment-value.js';

export interface EncodedRecord {
  key: Buffer;
  value: Buffer | null;
}

function encode(version: number, write: (w: Writer) => void): Buffer {
  const w = new Writer(128);
  w.int16(version);
  write(w);
  return w.toBuffer();
}

function copyList(list: TopicPartitionList): { topicId: string; partitions: number[] }[] {
  return list.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] }));
}

function encodeConsumerGroupRecord(rec: ConsumerGroupRecord): EncodedRecord {
  const groupId = rec.groupId;
  switch (rec.type) {
    case 'cg-metadata': {
      const v = rec.value;
      return { key: encode(3, (w) => cgMetaKey.writeConsumerGroupMetadataKey(w, { groupId }, 3)), value: rec.value === null ? null : encode(0, (w) => cgMetaValue.writeConsumerGroupMetadataValue(w, { epoch: v!.epoch }, 0)) };
    }
    case 'cg-partition-metadata': {
      const v = rec.value;
      return {
        key: encode(4, (w) => cgPartKey.writeConsumerGroupPartitionMetadataKey(w, { groupId }, 4)),
        value: rec.value === null ? null : encode(0, (w) =>
          cgPartValue.writeConsumerGroupPartitionMetadataValue(
            w,
            { topics: v!.topics.map((t) => ({ topicId: t.id, topicName: t.name, numPartitions: t.numPartitions, partitionMetadata: [] })) },
            0,
          ),
        ),
      };
    }
    case 'cg-member': {
      const v = rec.value;
      return {
        key: encode(5, (w) => cgMemberKey.writeConsumerGroupMemberMetadataKey(w, { groupId, memberId: rec.memberId }, 5)),
        value: rec.value === null ? null : encode(0, (w) =>
          cgMemberValue.writeConsumerGroupMemberMetadataValue(
            w,
            {
              instanceId: v!.instanceId,
              rackId: v!.rackId,
              clientId: v!.clientId,
              clientHost: v!.clientHost,
              subscribedTopicNames: [...v!.subscribedTopicNames],
              subscribedTopicRegex: v!.subscribedTopicRegex,
              rebalanceTimeoutMs: v!.rebalanceTimeoutMs,
              serverAssignor: v!.serverAssignor,
              classicMemberMetadata:
                v!.classicMemberMetadata === null
                  ? null
                  : {
                      sessionTimeoutMs: v!.classicMemberMetadata.sessionTimeoutMs,
                      supportedProtocols: v!.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
                    },
            },
            0,
          ),
        ),
      };
    }
    case 'cg-target-metadata': {
      const v = rec.value;
      return {
        key: encode(6, (w) => cgTargetMetaKey.writeConsumerGroupTargetAssignmentMetadataKey(w, { groupId }, 6)),
        value: rec.value === null ? null : encode(0, (w) => cgTargetMetaValue.writeConsumerGroupTargetAssignmentMetadataValue(w, { assignmentEpoch: v!.assignmentEpoch }, 0)),
      };
    }
    case 'cg-target-member': {
      const v = rec.value;
      return {
        key: encode(7, (w) => cgTargetKey.writeConsumerGroupTargetAssignmentMemberKey(w, { groupId, memberId: rec.memberId }, 7)),
        value: rec.value === null ? null : encode(0, (w) => cgTargetValue.writeConsumerGroupTargetAssignmentMemberValue(w, { topicPartitions: copyList(v!.partitions) }, 0)),
      };
    }
    case 'cg-current': {
      const v = rec.value;
      return {
        key: encode(8, (w) => cgCurrentKey.writeConsumerGroupCurrentMemberAssignmentKey(w, { groupId, memberId: rec.memberId }, 8)),
        value: rec.value === null ? null : encode(0, (w) =>
          cgCurrentValue.writeConsumerGroupCurrentMemberAssignmentValue(
            w,
            {
              memberEpoch: v!.memberEpoch,
              previousMemberEpoch: v!.previousMemberEpoch,
              state: v!.state,
              assignedPartitions: copyList(v!.assigned),
              partitionsPendingRevocation: copyList(v!.pendingRevocation),
            },
            0,
          ),
        ),
      };
    }
  }
}

function decodeConsumerGroupRecord(keyVersion: number, kr: Reader, vr: Reader | null, valueVersion: number): ConsumerGroupRecord | null {
  switch (keyVersion) {
    case 3: {
      const k = cgMetaKey.readConsumerGroupMetadataKey(kr, keyVersion);
      return { type: 'cg-metadata', groupId: k.groupId, value: vr && { epoch: cgMetaValue.readConsumerGroupMetadataValue(vr, valueVersion).epoch } };
    }
    case 4: {
      const k = cgPartKey.readConsumerGroupPartitionMetadataKey(kr, keyVersion);
      const v = vr && cgPartValue.readConsumerGroupPartitionMetadataValue(vr, valueVersion);
      return {
        type: 'cg-partition-metadata',
        groupId: k.groupId,
        value: v && { topics: v.topics.map((t) => ({ id: t.topicId, name: t.topicName, numPartitions: t.numPartitions })) },
      };
    }
    case 5: {
      const k = cgMemberKey.readConsumerGroupMemberMetadataKey(kr, keyVersion);
      const v = vr && cgMemberValue.readConsumerGroupMemberMetadataValue(vr, valueVersion);
      return {
        type: 'cg-member',
        groupId: k.groupId,
        memberId: k.memberId,
        value: v && {
          instanceId: v.instanceId,
          rackId: v.rackId,
          clientId: v.clientId,
          clientHost: v.clientHost,
          subscribedTopicNames: v.subscribedTopicNames,
          subscribedTopicRegex: v.subscribedTopicRegex,
          rebalanceTimeoutMs: v.rebalanceTimeoutMs,
          serverAssignor: v.serverAssignor,
          classicMemberMetadata: v.classicMemberMetadata && {
            sessionTimeoutMs: v.classicMemberMetadata.sessionTimeoutMs,
            supportedProtocols: v.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: new Uint8Array(p.metadata) })),
          },
        },
      };
    }
    case 6: {
      const k = cgTargetMetaKey.readConsumerGroupTargetAssignmentMetadataKey(kr, keyVersion);
      const v = vr && cgTargetMetaValue.readConsumerGroupTargetAssignmentMetadataValue(vr, valueVersion);
      return { type: 'cg-target-metadata', groupId: k.groupId, value: v && { assignmentEpoch: v.assignmentEpoch } };
    }
    case 7: {
      const k = cgTargetKey.readConsumerGroupTargetAssignmentMemberKey(kr, keyVersion);
      const v = vr && cgTargetValue.readConsumerGroupTargetAssignmentMemberValue(vr, valueVersion);
      return { type: 'cg-target-member', groupId: k.groupId, memberId: k.memberId, value: v && { partitions: v.topicPartitions } };
    }
    case 8: {
      const k = cgCurrentKey.readConsumerGroupCurrentMemberAssignmentKey(kr, keyVersion);
      const v = vr && cgCurrentValue.readConsumerGroupCurrentMemberAssignmentValue(vr, valueVersion);
      const state = v === null ? 0 : v.state;
      return {
        type: 'cg-current',
        groupId: k.groupId,
        memberId: k.memberId,
        value: v && {
          memberEpoch: v.memberEpoch,
          previousMemberEpoch: v.previousMemberEpoch,
          state: state === 1 || state === 2 ? state : 0,
          assigned: v.assignedPartitions,
          pendingRevocation: v.partitionsPendingRevocation,
        },
      };
    }
    default:
      return null;
  }
}

export function encodeCoordinatorRecord(rec: CoordinatorRecord): EncodedRecord {
  if (rec.type !== 'offset-commit' && rec.type !== 'group-metadata') return encodeConsumerGroupRecord(rec);
  if (rec.type === 'offset-commit') {
    const key = encode(1, (w) => writeOffsetCommitKey(w, { group: rec.groupId, topic: rec.topic, partition: rec.partition }, 1));
    const v = rec.value;
    if (v === null) return { key, value: null };
    const version = v.expireTimestamp >= 0 ? 1 : 3;
    const value = encode(version, (w) =>
      writeOffsetCommitValue(
        w,
        {
          offset: v.offset,
          leaderEpoch: v.leaderEpoch,
          metadata: v.metadata,
          commitTimestamp: BigInt(v.commitTimestamp),
          expireTimestamp: BigInt(v.expireTimestamp),
        },
        version,
      ),
    );
    return { key, value };
  }
  const key = encode(2, (w) => writeGroupMetadataKey(w, { group: rec.groupId }, 2));
  const v = rec.value;
  if (v === null) return { key, value: null };
  const value = encode(3, (w) =>
    writeGroupMetadataValue(
      w,
      {
        protocolType: v.protocolType,
        generation: v.generation,
        protocol: v.protocol,
        leader: v.leader,
        currentStateTimestamp: BigInt(v.currentStateTimestamp),
        members: v.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeout,
          sessionTimeout: m.sessionTimeout,
          subscription: Buffer.from(m.subscription.buffer, m.subscription.byteOffset, m.subscription.byteLength),
          assignment: Buffer.from(m.assignment.buffer, m.assignment.byteOffset, m.assignment.byteLength),
        })),
      },
      3,
    ),
  );
  return { key, value };
}

/** The domain record for a key/value pair, or null for record types this coordinator does not keep (regular expressions, share groups, transactions). */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | null {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  const vr = value === null ? null : new Reader(value);
  const valueVersion = vr === null ? -1 : vr.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = readOffsetCommitKey(kr, keyVersion);
    if (vr === null) return { type: 'offset-commit', groupId: k.group, topic: k.topic, partition: k.partition, value: null };
    const v = readOffsetCommitValue(vr, valueVersion);
    return {
      type: 'offset-commit',
      groupId: k.group,
      topic: k.topic,
      partition: k.partition,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: Number(v.commitTimestamp),
        expireTimestamp: Number(v.expireTimestamp),
      },
    };
  }
  if (keyVersion === 2) {
    const k = readGroupMetadataKey(kr, keyVersion);
    if (vr === null) return { type: 'group-metadata', groupId: k.group, value: null };
    const v = readGroupMetadataValue(vr, valueVersion);
    return {
      type: 'group-metadata',
      groupId: k.group,
      value: {
        protocolType: v.protocolType,
        generation: v.generation,
        protocol: v.protocol,
        leader: v.leader,
        currentStateTimestamp: Number(v.currentStateTimestamp),
        members: v.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeout,
          sessionTimeout: m.sessionTimeout,
          subscription: m.subscription,
          assignment: m.assignment,
        })),
      },
    };
  }
  return decodeConsumerGroupRecord(keyVersion, kr, vr, valueVersion);
}

/** Kafka's choice of __consumer_offsets partition: abs(String.hashCode(groupId)) % partitions. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 (h & 0x7fffffff).
  return (h & 0x7fffffff) % partitions;
}
