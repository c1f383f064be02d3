// Reading records: one Fetch per partition leader for the partitions at their
// positions, whole batches decoded (CRC checked, decompressed), records below
// the position skipped, control batches dropped, and under read_committed the
// records of aborted transactions dropped (the abortedTransactions list the
// broker sends, as Kafka's consumer does).
import { FetchApi } from '../protocol/messages/01-fetch.js';
import { decodeBatch, walkBatches, type RecordHeader, type TimestampTypeId, type DecodedBatch } from '../protocol/record-batch.js';
import { ErrorCode } from '../protocol/errors.js';
import { KafkaError, ProtocolError } from './errors.js';
import type { KafkaClient } from './kafka-client.js';
import { IsolationLevel, tpKey } from './offsets.js';

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly timestampType: TimestampTypeId;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface FetchPosition {
  readonly topic: string;
  /** From metadata; Fetch v13+ names topics by id. */
  readonly topicId: string;
  readonly partition: number;
  offset: bigint;
}

export interface FetchOptions {
  readonly isolationLevel: number;
  /** How long the broker may wait for data (0: answer at once). */
  readonly maxWaitMs: number;
  readonly maxBytes?: number;
}

export interface FetchRound {
  readonly records: ConsumedRecord[];
  /** Per partition (tpKey): the high watermark (or last stable offset under read_committed). */
  readonly ends: Map<string, bigint>;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const PARTITION_MAX_BYTES = 1024 * 1024;
const STALE_LEADER: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

/**
 * One fetch round over every position; advances each position past the
 * records it returns (and past control/aborted batches).
 */
export async function fetchRound(client: KafkaClient, positions: readonly FetchPosition[], opts: FetchOptions): Promise<FetchRound> {
  const byLeader = new Map<number, FetchPosition[]>();
  for (const pos of positions) {
    const leader = await client.leaderId(pos.topic, pos.partition);
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), pos]);
  }
  const records: ConsumedRecord[] = [];
  const ends = new Map<string, bigint>();
  let staleLeader = false;
  await Promise.all(
    [...byLeader].map(async ([leader, list]) => {
      const conn = await client.node(leader);
      // v4+: isolation level, last stable offset and aborted transactions.
      const v = conn.version(FetchApi, 4);
      const byId = v >= 13;
      const topics = new Map<string, FetchPosition[]>();
      for (const p of list) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
      const res = await conn.send(FetchApi, v, {
        ...(v <= 14 ? { replicaId: -1 } : {}),
        maxWaitMs: opts.maxWaitMs,
        minBytes: 1,
        maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
        isolationLevel: opts.isolationLevel,
        ...(v >= 7 ? { sessionId: 0, sessionEpoch: -1 } : {}),
        topics: [...topics].map(([topic, ps]) => ({
          ...(byId ? { topicId: ps[0]!.topicId } : { topic }),
          partitions: ps.map((p) => ({
            partition: p.partition,
            fetchOffset: p.offset,
            ...(v >= 9 ? { currentLeaderEpoch: -1 } : {}),
            ...(v >= 12 ? { lastFetchedEpoch: -1 } : {}),
            ...(v >= 5 ? { logStartOffset: -1n } : {}),
            partitionMaxBytes: PARTITION_MAX_BYTES,
          })),
        })),
      });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'fetch');
      for (const t of res.responses) {
        const ps = byId ? list.filter((p) => p.topicId === t.topicId) : topics.get(t.topic) ?? [];
        for (const answer of t.partitions) {
          const pos = ps.find((p) => p.partition === answer.partitionIndex);
          if (pos === undefined) throw new ProtocolError(`Fetch answered a partition not asked for (${t.topic || t.topicId}-${answer.partitionIndex})`);
          if (STALE_LEADER.has(answer.errorCode)) {
            staleLeader = true;
            continue;
          }
          if (answer.errorCode !== ErrorCode.NONE) {
            throw new KafkaError(answer.errorCode, `fetch ${pos.topic}-${pos.partition} at offset ${pos.offset}`);
          }
          const end = opts.isolationLevel === IsolationLevel.readCommitted && answer.lastStableOffset >= 0n ? answer.lastStableOffset : answer.highWatermark;
          ends.set(tpKey(pos.topic, pos.partition), end);
          const buf = answer.records === null ? Buffer.alloc(0) : Array.isArray(answer.records) ? Buffer.concat(answer.records as Buffer[]) : (answer.records as Buffer);
          await readBatches(buf, pos, opts.isolationLevel, answer.abortedTransactions ?? [], records);
        }
      }
    }),
  );
  if (staleLeader) client.forgetLeaders();
  return { records, ends };
}

/**
 * Appends the records of `buf` (one partition's fetched bytes) at or after the
 * position to `out` and moves the position past every whole batch read.
 */
export async function readBatches(
  buf: Buffer,
  pos: FetchPosition,
  isolationLevel: number,
  aborted: readonly { producerId: bigint; firstOffset: bigint }[],
  out: ConsumedRecord[],
): Promise<void> {
  const walk = walkBatches(buf);
  // A fetch may end inside a batch (cut at the size limit): that tail is read next time.
  if (walk.error !== null && walk.error.kind !== 'truncated') {
    throw new ProtocolError(`fetch ${pos.topic}-${pos.partition} at offset ${pos.offset}: ${walk.error.message}`);
  }
  const pendingAborts = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedProducers = new Set<bigint>();
  for (const span of walk.batches) {
    const h = span.header;
    const last = h.baseOffset + BigInt(h.lastOffsetDelta);
    if (isolationLevel === IsolationLevel.readCommitted) {
      while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset <= last) abortedProducers.add(pendingAborts.shift()!.producerId);
    }
    if (h.isControl) {
      // A marker ends that producer's transaction (aborted or not).
      abortedProducers.delete(h.producerId);
      if (last >= pos.offset) pos.offset = last + 1n;
      continue;
    }
    if (last < pos.offset) continue;
    if (h.isTransactional && abortedProducers.has(h.producerId)) {
      pos.offset = last + 1n;
      continue;
    }
    let batch: DecodedBatch;
    try {
      batch = await decodeBatch(buf, span.start);
    } catch (e) {
      throw new ProtocolError(`fetch ${pos.topic}-${pos.partition}: batch at offset ${h.baseOffset}: ${(e as Error).message}`);
    }
    for (const r of batch.records) {
      if (r.offset < pos.offset) continue;
      out.push({
        topic: pos.topic,
        partition: pos.partition,
        offset: r.offset,
        timestamp: r.timestamp,
        timestampType: h.timestampType,
        key: r.key,
        value: r.value,
        headers: r.headers,
      });
    }
    pos.offset = last + 1n;
  }
}
