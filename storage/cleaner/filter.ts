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
// Output: all records kept and no horizon to set -> the original bytes (a
// compressed batch is neither recompressed nor even decompressed twice); a
// horizon to set -> the batch rebuilt from decoded records (same offsets,
// offset deltas, timestamps, headers, producer id/epoch/base sequence, leader
// epoch, codec at its default level, lastOffsetDelta of the original), with
// the horizon now + delete.retention.ms (KIP-534: attribute bit 0x40, stored
// as the base timestamp) on a kept tombstone or a discardable marker without
// one; else (the common case) the kept records' bytes copied as they are
// under the original header with the new count, maxTimestamp and CRC, the
// records section recompressed when the batch was compressed. Unlike Kafka's
// rebuild, that copy keeps the original base timestamp (Kafka moves it to the
// first kept record): every record's timestamp reads the same either way.

import { compress, Compression } from '../../protocol/compression.js';
import {
  batchRecordsPayload,
  buildRecordBatch,
  decodeBatch,
  parseBatchHeader,
  RECORD_BATCH_OVERHEAD,
  TimestampType,
  writeBatchCrc,
  type BuildBatchOptions,
  type KafkaRecord,
  type RecordBatchHeader,
} from '../../protocol/record-batch.js';
import { LOG_OVERHEAD, OFF_LENGTH, OFF_MAX_TIMESTAMP, OFF_RECORD_COUNT } from '../batch.js';
import { CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT } from '../control-batch.js';
import { scanRecords, type RecordSpan } from './records.js';
import type { CleanedTxnState } from './txn.js';

/** What the cleaner knows of a producer still active (unexpired) at the start of the round. */
export interface LastRecord {
  /** Offset of the producer's last data record, null when its last entry is a marker. */
  lastDataOffset: number | null;
  producerEpoch: number;
}

export interface FilterContext {
  /** key -> latest offset; `latestOffset` bounds what the map covers. */
  map: { get(key: Uint8Array, start?: number, end?: number): number; readonly latestOffset: number };
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
  const h = parseBatchHeader(buf, 0);
  const baseOffset = Number(h.baseOffset);
  const lastOffset = baseOffset + h.lastOffsetDelta;
  const producerId = Number(h.producerId);
  const count = h.recordCount;
  const payload = count > 0 ? await batchRecordsPayload(buf, { header: h, start: 0, end: buf.length }) : buf.subarray(0, 0);

  // batch retention
  let canDiscard: boolean;
  if (h.isControl) {
    let marker: boolean | null = null;
    scanRecords(payload, count, (r) => {
      marker = markerType(payload, r);
      return false; // the first record is the marker
    });
    canDiscard = ctx.txns.onControlBatch(producerId, lastOffset, marker, count === 0);
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

  // record retention: the kept records' byte ranges, merged when adjacent
  const keep = new Uint8Array(count);
  const ranges: number[] = [];
  let kept = 0;
  let tombstones = false;
  let maxTimestamp = -1;
  const baseTimestamp = Number(h.baseTimestamp);
  if (!discardRecords) {
    scanRecords(payload, count, (r) => {
      if (!h.isControl && !keepRecord(payload, r, baseOffset + r.offsetDelta, horizon, ctx)) return;
      keep[r.index] = 1;
      kept++;
      if (r.valueNull) tombstones = true;
      maxTimestamp = Math.max(maxTimestamp, baseTimestamp + r.timestampDelta);
      if (ranges.length > 0 && ranges[ranges.length - 1] === r.start) ranges[ranges.length - 1] = r.end;
      else ranges.push(r.start, r.end);
    });
  }

  if (kept > 0) {
    const needHorizon = (tombstones || markerWithoutTxn) && horizon === null;
    if (kept === count && !needHorizon) return { kind: 'original', records: kept };
    if (needHorizon) {
      const records = (await decodeBatch(buf, 0)).records.filter((_, i) => keep[i] === 1);
      return { kind: 'rewritten', bytes: await rebuild(h, records, ctx.now + ctx.deleteRetentionMs), records: kept };
    }
    return { kind: 'rewritten', bytes: await splice(buf, h, payload, ranges, kept, maxTimestamp), records: kept };
  }
  if (retention === 'retain-empty') return { kind: 'rewritten', bytes: await emptyHeader(h), records: 0 };
  return { kind: 'dropped' };
}

function keepRecord(payload: Buffer, r: RecordSpan, offset: number, horizon: number | null, ctx: FilterContext): boolean {
  if (offset > ctx.map.latestOffset) return true;
  if (r.keyStart < 0) return false;
  if (offset < ctx.map.get(payload, r.keyStart, r.keyEnd)) return false;
  return !r.valueNull || horizon === null || ctx.now < horizon;
}

/** The original header over the kept records' bytes: new count, maxTimestamp (CreateTime) and CRC. */
async function splice(buf: Buffer, h: RecordBatchHeader, payload: Buffer, ranges: readonly number[], count: number, maxTimestamp: number): Promise<Buffer> {
  let size = 0;
  for (let i = 0; i < ranges.length; i += 2) size += ranges[i + 1]! - ranges[i]!;
  let records: Buffer = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < ranges.length; i += 2) at += payload.copy(records, at, ranges[i]!, ranges[i + 1]!);
  if (h.compression !== Compression.none) records = await compress(h.compression, records);
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + records.length);
  buf.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  records.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, OFF_LENGTH);
  out.writeInt32BE(count, OFF_RECORD_COUNT);
  if (h.timestampType !== TimestampType.LogAppendTime) out.writeBigInt64BE(BigInt(maxTimestamp), OFF_MAX_TIMESTAMP);
  writeBatchCrc(out, 0);
  return out;
}

function isLastOfProducer(h: RecordBatchHeader, producerId: number, lastOffset: number, ctx: FilterContext): boolean {
  if (producerId < 0) return false;
  const last = ctx.activeProducers.get(producerId);
  if (!last) return false;
  if (last.lastDataOffset !== null) return lastOffset === last.lastDataOffset;
  return h.isControl && h.producerEpoch === last.producerEpoch;
}

/** The end-transaction marker type of a control record: true COMMIT, false ABORT, null another type. */
function markerType(payload: Buffer, r: RecordSpan): boolean | null {
  if (r.keyStart < 0 || r.keyEnd - r.keyStart < 4) return null;
  const type = payload.readInt16BE(r.keyStart + 2);
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

function rebuild(h: RecordBatchHeader, records: KafkaRecord[], horizon: number): Promise<Buffer> {
  return buildRecordBatch({
    ...kept(h),
    records: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta, attributes: r.attributes })),
    compression: h.compression,
    ...(h.timestampType === TimestampType.LogAppendTime ? { maxTimestamp: h.maxTimestamp } : {}),
    deleteHorizonMs: BigInt(horizon),
  });
}

/** Kafka's writeEmptyHeader: the kept header fields and maxTimestamp; no records, no codec, no horizon. */
function emptyHeader(h: RecordBatchHeader): Promise<Buffer> {
  return buildRecordBatch({ ...kept(h), records: [], baseTimestamp: -1n, maxTimestamp: h.maxTimestamp });
}
