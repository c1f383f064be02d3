// The embedded consumer protocol (ConsumerProtocolSubscription / Assignment, int16
// version first) as the coordinator reads and writes it for classic members of
// consumer groups and for conversions between the two group types, as Kafka's
// ConsumerProtocol does: a version above the highest known one is read as the
// highest (the schemas are not flexible, later fields are ignored); a negative
// version or a truncated body is malformed (null).

import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import {
  ConsumerProtocolSubscriptionVersions,
  readConsumerProtocolSubscription,
} from '../../protocol/messages/data/consumer-protocol-subscription.js';
import {
  ConsumerProtocolAssignmentVersions,
  readConsumerProtocolAssignment,
  writeConsumerProtocolAssignment,
} from '../../protocol/messages/data/consumer-protocol-assignment.js';

/** Topic name -> partitions. */
export type NamedPartitions = readonly { readonly topic: string; readonly partitions: readonly number[] }[];

export interface EmbeddedSubscription {
  readonly version: number;
  readonly topics: readonly string[];
  /** Partitions the member reports owning (v1+; empty before). */
  readonly ownedPartitions: NamedPartitions;
  /** v3+. */
  readonly rackId: string | null;
}

function reader(bytes: Uint8Array): Reader {
  return new Reader(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** The version a subscription or assignment is written in; null when malformed. */
export function embeddedVersion(bytes: Uint8Array): number | null {
  if (bytes.length < 2) return null;
  const v = reader(bytes).int16();
  return v < 0 ? null : v;
}

export function readSubscription(metadata: Uint8Array): EmbeddedSubscription | null {
  try {
    const r = reader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const s = readConsumerProtocolSubscription(r, Math.min(version, ConsumerProtocolSubscriptionVersions.max));
    return {
      version,
      topics: s.topics,
      ownedPartitions: s.ownedPartitions.map((tp) => ({ topic: tp.topic, partitions: tp.partitions })),
      rackId: s.rackId,
    };
  } catch {
    return null;
  }
}

/** An assignment as topic -> partitions; empty bytes = nothing assigned; null when malformed. */
export function readAssignment(bytes: Uint8Array): Map<string, number[]> | null {
  if (bytes.length === 0) return new Map();
  try {
    const r = reader(bytes);
    const version = r.int16();
    if (version < 0) return null;
    const a = readConsumerProtocolAssignment(r, Math.min(version, ConsumerProtocolAssignmentVersions.max));
    return new Map(a.assignedPartitions.map((tp) => [tp.topic, [...tp.partitions]]));
  } catch {
    return null;
  }
}

/** An assignment written at `version` (clamped to the known ones), as the member's subscription version asks. */
export function writeAssignment(partitions: NamedPartitions, version: number): Uint8Array {
  const v = Math.max(0, Math.min(version, ConsumerProtocolAssignmentVersions.max));
  const w = new Writer();
  w.int16(v);
  writeConsumerProtocolAssignment(w, { assignedPartitions: partitions.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })), userData: null }, v);
  return w.toBuffer();
}
