// The group coordinator's records in Kafka's own __consumer_offsets key/value
// schemas: key = int16 version + key struct, value = int16 version + value
// struct, a null value is a tombstone. Versions written are the ones Kafka
// writes today: OffsetCommitKey v1, OffsetCommitValue v3 (v1 when the commit
// carries an expire timestamp), GroupMetadataKey v2, GroupMetadataValue v3.
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { readOffsetCommitKey, writeOffsetCommitKey } from '../../protocol/messages/coordinator-records/offset-commit-key.js';
import { readOffsetCommitValue, writeOffsetCommitValue } from '../../protocol/messages/coordinator-records/offset-commit-value.js';
import { readGroupMetadataKey, writeGroupMetadataKey } from '../../protocol/messages/coordinator-records/group-metadata-key.js';
import { readGroupMetadataValue, writeGroupMetadataValue } from '../../protocol/messages/coordinator-records/group-metadata-value.js';
import type { CoordinatorRecord } from '../groups/types.js';

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

export function encodeCoordinatorRecord(rec: CoordinatorRecord): EncodedRecord {
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

/** The domain record for a key/value pair, or null for record types this coordinator does not keep (KIP-848, transactions). */
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
  return null;
}

/** Kafka's choice of __consumer_offsets partition: abs(String.hashCode(groupId)) % partitions. */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 (h & 0x7fffffff).
  return (h & 0x7fffffff) % partitions;
}
