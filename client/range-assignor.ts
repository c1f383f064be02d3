// Kafka's RangeAssignor: per topic, the partitions in order are split into
// contiguous ranges over the members subscribed to it (sorted by member id);
// the first (partitions % members) members get one extra partition.
import type { TopicPartition } from './offsets.js';

export const RANGE_ASSIGNOR = 'range';

export interface Subscriber {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export function rangeAssign(members: readonly Subscriber[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const out = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const topics = new Set(members.flatMap((m) => m.topics));
  for (const topic of [...topics].sort()) {
    const count = partitionCounts.get(topic) ?? 0;
    const subscribers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((memberId, i) => {
      const n = per + (i < extra ? 1 : 0);
      for (let p = next; p < next + n; p++) out.get(memberId)!.push({ topic, partition: p });
      next += n;
    });
  }
  return out;
}
