// Consuming one topic, either on its own partitions (all, or a chosen few) or
// as a member of a classic consumer group: start positions (an offset, a
// timestamp, earliest/latest, or the group's committed offsets), fetch rounds,
// a record count or the end of the partitions as seen at start, and commits of
// exactly what was handed to the caller.
import { ErrorCode } from '../protocol/errors.js';
import { KafkaError } from './errors.js';
import type { KafkaClient, TopicInfo } from './kafka-client.js';
import { fetchRound, type ConsumedRecord, type FetchPosition } from './fetcher.js';
import { GroupMember } from './group-member.js';
import { EARLIEST, LATEST, fetchCommitted, listOffsets, tpKey, type TopicPartition } from './offsets.js';

export type StartFrom =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: bigint }
  | { readonly kind: 'timestamp'; readonly ms: bigint };

export interface ConsumeOptions {
  readonly topic: TopicInfo;
  /** Only these partitions (not with a group). */
  readonly partitions?: readonly number[];
  /** Where to start (in a group: where partitions without a committed offset start). */
  readonly from: StartFrom;
  readonly isolationLevel: number;
  readonly group?: string;
  /** Stop after this many records. */
  readonly count?: number;
  /** Keep waiting for new records; otherwise stop at the end offsets seen at start. */
  readonly follow: boolean;
  readonly signal?: AbortSignal;
}

const FETCH_WAIT_MS = 500;

export async function consume(client: KafkaClient, opts: ConsumeOptions, onRecord: (r: ConsumedRecord) => void): Promise<number> {
  const topic = opts.topic;
  const all = topic.partitions.map((p) => p.partition);
  for (const p of opts.partitions ?? []) {
    if (!all.includes(p)) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${topic.name}-${p}`, `topic "${topic.name}" has ${all.length} partition(s)`);
    }
  }
  const tps = (opts.partitions ?? all).map((partition) => ({ topic: topic.name, partition }));
  const ends = opts.follow ? null : await listOffsets(client, tps, LATEST, opts.isolationLevel);
  const member = opts.group === undefined ? null : new GroupMember(client, { groupId: opts.group, topics: [topic.name] });

  let positions: FetchPosition[] = [];
  const assign = async (): Promise<void> => {
    const assigned = member === null ? tps : (await member.join()).filter((tp) => tp.topic === topic.name);
    positions = await startPositions(client, topic, assigned, opts, member === null ? null : opts.group!);
  };
  const commit = async (): Promise<void> => {
    if (member !== null) await member.commit(positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
  };
  const done = (p: FetchPosition): boolean => ends !== null && p.offset >= ends.get(tpKey(p.topic, p.partition))!.offset;

  const stopped = (): boolean => opts.signal?.aborted === true;
  let count = 0;
  try {
    await assign();
    while (!stopped() && (opts.count === undefined || count < opts.count)) {
      if (member !== null) {
        if (member.failure !== null) throw member.failure;
        if (member.rebalanceNeeded) {
          await commit();
          await assign();
        }
      }
      const active = positions.filter((p) => !done(p));
      if (active.length === 0) {
        if (!opts.follow) break;
        // A member with no partitions waits for a rebalance that may give it some.
        await new Promise((r) => setTimeout(r, FETCH_WAIT_MS));
        continue;
      }
      const round = await fetchRound(client, active, { isolationLevel: opts.isolationLevel, maxWaitMs: FETCH_WAIT_MS });
      // Where each partition stands after what was handed out: the first record not handed out.
      const unhanded = new Map<string, bigint>();
      for (const r of round.records) {
        const key = tpKey(r.topic, r.partition);
        const end = ends?.get(key)?.offset;
        if (end !== undefined && r.offset >= end) continue;
        if ((opts.count !== undefined && count >= opts.count) || stopped()) {
          if (!unhanded.has(key)) unhanded.set(key, r.offset);
          continue;
        }
        onRecord(r);
        count++;
      }
      for (const p of active) {
        const first = unhanded.get(tpKey(p.topic, p.partition));
        if (first !== undefined) p.offset = first;
      }
      await commit();
    }
  } finally {
    if (member !== null) {
      try {
        await member.leave();
      } catch {
        // The session timeout removes the member anyway.
      }
    }
  }
  return count;
}

async function startPositions(
  client: KafkaClient,
  topic: TopicInfo,
  tps: readonly TopicPartition[],
  opts: ConsumeOptions,
  group: string | null,
): Promise<FetchPosition[]> {
  if (tps.length === 0) return [];
  const start = new Map<string, bigint>();
  if (group !== null) {
    for (const c of await fetchCommitted(client, group, tps)) if (c.offset >= 0n) start.set(tpKey(c.topic, c.partition), c.offset);
  }
  const rest = tps.filter((tp) => !start.has(tpKey(tp.topic, tp.partition)));
  if (rest.length > 0) {
    const from = opts.from;
    if (from.kind === 'offset') {
      const [earliest, latest] = await Promise.all([listOffsets(client, rest, EARLIEST), listOffsets(client, rest, LATEST)]);
      for (const tp of rest) {
        const key = tpKey(tp.topic, tp.partition);
        const low = earliest.get(key)!.offset;
        const high = latest.get(key)!.offset;
        if (from.offset < low || from.offset > high) {
          throw new KafkaError(
            ErrorCode.OFFSET_OUT_OF_RANGE,
            `start at offset ${from.offset} of ${tp.topic}-${tp.partition}`,
            `the partition holds offsets ${low} to ${high}`,
          );
        }
        start.set(key, from.offset);
      }
    } else {
      const ts = from.kind === 'earliest' ? EARLIEST : from.kind === 'latest' ? LATEST : from.ms;
      const found = await listOffsets(client, rest, ts, opts.isolationLevel);
      const latest = from.kind === 'timestamp' ? await listOffsets(client, rest, LATEST, opts.isolationLevel) : found;
      for (const tp of rest) {
        const key = tpKey(tp.topic, tp.partition);
        // No record at or after the timestamp: start at the end, as Kafka's offsetsForTimes users do.
        const o = found.get(key)!.offset;
        start.set(key, o >= 0n ? o : latest.get(key)!.offset);
      }
    }
  }
  return tps.map((tp) => ({ topic: tp.topic, topicId: topic.topicId, partition: tp.partition, offset: start.get(tpKey(tp.topic, tp.partition))! }));
}
