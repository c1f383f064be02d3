// What the cleaner keeps of one RecordBatch v2 (Kafka's Cleaner batch and
// record retention, and MemoryRecords.filterTo), as a pure function over bytes.
//
// Batch: the producer's last batch (its lastDataOffset, or its marker when it
// has no data) and a batch ending right at the high watermark are kept even if
// every record goes, as a 61-byte header with no records, so producer state
// (and the log end) survive; an aborted transaction's data, and markers whose
// transaction has no data left once their delete horizon passed, are dropped.
// Record: past the map's latest offset -> kept; keyless -> dropped; else kept
// iff it is the latest offset of its key and (it has a value or its batch has
// no delete horizon yet or the horizon is still ahead). Control records stay
// with their batch.
// Output: all records kept and no horizon to set -> the original bytes; else
// the batch is rebuilt with the kept records (same offsets, offset deltas,
// timestamps, headers, producer id/epoch/base sequence, leader epoch, codec at
// its default level, lastOffsetDelta of the original), and a kept tombstone or
// a discardable marker without a horizon gets one: now + delete.retention.ms
// (KIP-534: attribute bit 0x40, stored as the base timestamp).

import { decodeBatch, buildRecordBatch, TimestampType, type BuildBatchOptions, type KafkaRecord, type RecordBatchHeader } from '../../protocol/record-batch.js';
import { CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT } from '../control-batch.js';
import type { CleanedTxnState } from './txn.js';

/** What the cleaner knows of a producer still active (unexpired) at the start of the round. */
export interface LastRecord {
  /** Offset of the producer's last data record, null when its last entry is a marker. */
  lastDataOffset: number | null;
  producerEpoch: number;
}

export interface FilterContext {
  /** key -> latest offset; `latestOffset` bounds what the map covers. */
  map: { get(key: Buffer): number; readonly latestOffset: number };
  now: number;
  deleteRetentionMs: number;
  txns: CleanedTxnState;
  activeProducers: ReadonlyMap<number, LastRecord>;
  /** The log's high watermark: a batch ending right before it is kept (KAFKA-17076). */
  highWatermark: number;
}

export type FilterResult =
  | { kind: 'original'; records: number }
  | { kind: 'rewritten'; bytes: Buffer; records: number }
  | { kind: 'dropped' };

type Retention = 'retain-empty' | 'delete' | 'delete-empty';

/** Filters the whole batch `buf` (one batch, CRC already checked). */
export async function filterBatch(buf: Buffer, ctx: FilterContext): Promise<FilterResult> {
  const decoded = await decodeBatch(buf, 0);
  const h = decoded.header;
  const baseOffset = Number(h.baseOffset);
  const lastOffset = baseOffset + h.lastOffsetDelta;
  const producerId = Number(h.producerId);

  // batch retention
  let canDiscard: boolean;
  if (h.isControl) {
    const first = decoded.records[0];
    canDiscard = ctx.txns.onControlBatch(producerId, lastOffset, first ? markerType(first) : null, decoded.records.length === 0);
  } else canDiscard = ctx.txns.onDataBatch(producerId, lastOffset, h.isTransactional);
  const horizon = h.hasDeleteHorizon ? Number(h.baseTimestamp) : null;
  const discardRecords = h.isControl ? canDiscard && horizon !== null && horizon <= ctx.now : canDiscard;
  const retention: Retention = isLastOfProducer(h, producerId, lastOffset, ctx) || lastOffset + 1 === ctx.highWatermark
    ? 'retain-empty'
    : discardRecords
      ? 'delete'
      : 'delete-empty';
  if (retention === 'delete') return { kind: 'dropped' };
  const markerWithoutTxn = canDiscard && h.isControl;

  // record retention
  const kept: KafkaRecord[] = [];
  let tombstones = false;
  for (const r of decoded.records) {
    if (discardRecords) continue;
    if (h.isControl || keepRecord(r, horizon, ctx)) {
      kept.push(r);
      if (r.value === null) tombstones = true;
    }
  }

  if (kept.length > 0) {
    const needHorizon = (tombstones || markerWithoutTxn) && horizon === null;
    if (kept.length === decoded.records.length && !needHorizon) return { kind: 'original', records: kept.length };
    const newHorizon = needHorizon ? ctx.now + ctx.deleteRetentionMs : horizon;
    return { kind: 'rewritten', bytes: await rebuild(h, kept, newHorizon), records: kept.length };
  }
  if (retention === 'retain-empty') return { kind: 'rewritten', bytes: await emptyHeader(h), records: 0 };
  return { kind: 'dropped' };
}

function keepRecord(r: KafkaRecord, horizon: number | null, ctx: FilterContext): boolean {
  const offset = Number(r.offset);
  if (offset > ctx.map.latestOffset) return true;
  if (r.key === null) return false;
  if (offset < ctx.map.get(r.key)) return false;
  return r.value !== null || horizon === null || ctx.now < horizon;
}

function isLastOfProducer(h: RecordBatchHeader, producerId: number, lastOffset: number, ctx: FilterContext): boolean {
  if (producerId < 0) return false;
  const last = ctx.activeProducers.get(producerId);
  if (!last) return false;
  if (last.lastDataOffset !== null) return lastOffset === last.lastDataOffset;
  return h.isControl && h.producerEpoch === last.producerEpoch;
}

/** The end-transaction marker type of a control record: true COMMIT, false ABORT, null another type. */
function markerType(r: KafkaRecord): boolean | null {
  if (r.key === null || r.key.length < 4) return null;
  const type = r.key.readInt16BE(2);
  if (type === CONTROL_TYPE_COMMIT) return true;
  if (type === CONTROL_TYPE_ABORT) return false;
  return null;
}

/** The header fields a rewritten batch keeps: offsets, producer fields, leader epoch, timestamp type, flags. */
function kept(h: RecordBatchHeader): Omit<BuildBatchOptions, 'records'> {
  return {
    baseOffset: h.baseOffset,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    timestampType: h.timestampType,
    isTransactional: h.isTransactional,
    isControl: h.isControl,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    lastOffsetDelta: h.lastOffsetDelta,
  };
}

function rebuild(h: RecordBatchHeader, records: KafkaRecord[], horizon: number | null): Promise<Buffer> {
  return buildRecordBatch({
    ...kept(h),
    records: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta, attributes: r.attributes })),
    compression: h.compression,
    ...(h.timestampType === TimestampType.LogAppendTime ? { maxTimestamp: h.maxTimestamp } : {}),
    ...(horizon !== null ? { deleteHorizonMs: BigInt(horizon) } : {}),
  });
}

/** Kafka's writeEmptyHeader: the kept header fields and maxTimestamp; no records, no codec, no horizon. */
function emptyHeader(h: RecordBatchHeader): Promise<Buffer> {
  return buildRecordBatch({ ...kept(h), records: [], baseTimestamp: -1n, maxTimestamp: h.maxTimestamp });
}
