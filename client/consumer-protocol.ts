// The "consumer" embedded protocol of classic groups: member subscriptions and
// assignments are opaque bytes to the broker, an int16 version then the
// ConsumerProtocolSubscription/Assignment schema (protocol/messages/data/).
// Newer versions only append fields, so a newer version is read as the newest
// this codec knows, as Kafka's ConsumerProtocol does.
import { Reader } from '../protocol/reader.js';
import { Writer } from '../protocol/writer.js';
import {
  ConsumerProtocolAssignmentVersions,
  readConsumerProtocolAssignment,
  writeConsumerProtocolAssignment,
} from '../protocol/messages/data/consumer-protocol-assignment.js';
import {
  ConsumerProtocolSubscriptionVersions,
  readConsumerProtocolSubscription,
  writeConsumerProtocolSubscription,
} from '../protocol/messages/data/consumer-protocol-subscription.js';
import { ProtocolError } from './errors.js';
import type { TopicPartition } from './offsets.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

function readVersion(buf: Buffer, what: string, max: number): { r: Reader; version: number } {
  if (buf.length < 2) throw new ProtocolError(`${what} of ${buf.length} bytes has no version`);
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new ProtocolError(`${what} has version ${version}`);
  return { r, version: Math.min(version, max) };
}

export function encodeSubscription(topics: readonly string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  writeConsumerProtocolSubscription(w, { topics: [...topics], userData: null }, 0);
  return w.toBuffer();
}

export function decodeSubscription(buf: Buffer): { topics: string[] } {
  const { r, version } = readVersion(buf, 'subscription', ConsumerProtocolSubscriptionVersions.max);
  return { topics: readConsumerProtocolSubscription(r, version).topics };
}

export function encodeAssignment(partitions: readonly TopicPartition[]): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const w = new Writer();
  w.int16(0);
  writeConsumerProtocolAssignment(w, { assignedPartitions: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps })), userData: null }, 0);
  return w.toBuffer();
}

/** An empty buffer is a member with nothing assigned (what a broker sends before the first sync). */
export function decodeAssignment(buf: Buffer): TopicPartition[] {
  if (buf.length === 0) return [];
  const { r, version } = readVersion(buf, 'assignment', ConsumerProtocolAssignmentVersions.max);
  return readConsumerProtocolAssignment(r, version).assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}
