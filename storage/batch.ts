// The few RecordBatch v2 facts storage needs, read straight off the bytes.
// (protocol/record-batch.ts is the full codec; storage keeps this minimal
// reader so the hot path does no parsing beyond a handful of header fields.
// The layout itself is protocol/record-batch-layout.ts.)

import { crc32c } from '../protocol/crc32c.js';
import { OFF_ATTRIBUTES, OFF_BASE_OFFSET, OFF_BASE_TIMESTAMP, OFF_CRC, OFF_LAST_OFFSET_DELTA, OFF_LENGTH, OFF_MAGIC, OFF_MAX_TIMESTAMP, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID, OFF_BASE_SEQUENCE, OFF_RECORD_COUNT, ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TIMESTAMP_TYPE_LOG_APPEND, ATTR_TRANSACTIONAL } from '../protocol/record-batch-layout.js';
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD } from '../protocol/record-batch.js';

export * from '../protocol/record-batch-layout.js';
export { LOG_OVERHEAD };
export const BATCH_HEADER_SIZE = RECORD_BATCH_OVERHEAD;
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD;

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_TIMESTAMP = -1;

const TWO_32 = 0x1_0000_0000;

/** int64 at `pos` as a number (exact while |value| < 2^53, which offsets and ms timestamps are). */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

/** Bytes the batch starting at `pos` occupies (12 + batchLength). */
export function batchSize(buf: Buffer, pos: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + OFF_LENGTH);
}

export function batchBaseOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + OFF_BASE_OFFSET);
}

export function batchLastOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + OFF_BASE_OFFSET) + buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
}

export function batchMaxTimestamp(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + OFF_MAX_TIMESTAMP);
}

/** CRC32C the batch claims and the one its bytes have. */
export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return buf.readUInt32BE(pos + OFF_CRC) === crc32c(buf, pos + OFF_ATTRIBUTES, pos + size);
}

/** Recomputes and stores the CRC of the batch at `pos` (after changing attributes or maxTimestamp). */
export function restampCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf, pos + OFF_ATTRIBUTES, pos + size), pos + OFF_CRC);
}

/**
 * Why the bytes at `buf[pos..end)` are not one whole, valid v2 batch, or null
 * if they are. 'partial' means the header or body runs past `end` (a torn tail);
 * anything else is corruption.
 */
export function checkBatch(buf: Buffer, pos: number, end: number, verifyCrc: boolean): null | 'partial' | string {
  if (end - pos < LOG_OVERHEAD) return 'partial';
  const length = buf.readInt32BE(pos + OFF_LENGTH);
  if (length < MIN_BATCH_LENGTH) return `batch length ${length} is too small`;
  if (end - pos < OFF_MAGIC + 1) return 'partial';
  const magic = buf[pos + OFF_MAGIC]!;
  if (magic !== 2) return `magic ${magic} is not 2`;
  if (end - pos < LOG_OVERHEAD + length) return 'partial';
  if (buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) < 0) return 'negative lastOffsetDelta';
  if (verifyCrc && !batchCrcMatches(buf, pos, LOG_OVERHEAD + length)) return 'CRC mismatch';
  return null;
}

/** What the producer-state bookkeeping needs from one batch header. */
export interface BatchProducerInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  isTransactional: boolean;
  isControl: boolean;
}

export function readProducerInfo(buf: Buffer, pos: number): BatchProducerInfo {
  const attributes = buf.readInt16BE(pos + OFF_ATTRIBUTES);
  return {
    producerId: readInt64(buf, pos + OFF_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + OFF_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + OFF_BASE_SEQUENCE),
    lastOffsetDelta: buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA),
    maxTimestamp: readInt64(buf, pos + OFF_MAX_TIMESTAMP),
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
  };
}

// ---- records (for timestamp look-ups only) ---------------------------------

/** Turns a compressed batch's record bytes (after the 61-byte header) into plain record bytes. */
export type Decompressor = (codec: number, data: Buffer) => Promise<Buffer>;

/**
 * Calls `visit(offsetDelta, timestamp)` for every record of the batch at
 * `buf[pos..pos+size)`, in order, until it returns true. Under LogAppendTime
 * every record's timestamp is the batch's maxTimestamp, as in Kafka.
 * Compressed batches need `decompress`; without it this throws.
 */
export async function visitRecordTimestamps(
  buf: Buffer,
  pos: number,
  size: number,
  decompress: Decompressor | undefined,
  visit: (offsetDelta: number, timestamp: number) => boolean,
): Promise<void> {
  const attributes = buf.readInt16BE(pos + OFF_ATTRIBUTES);
  const count = buf.readInt32BE(pos + OFF_RECORD_COUNT);
  const logAppend = (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const baseTs = readInt64(buf, pos + OFF_BASE_TIMESTAMP);
  const maxTs = readInt64(buf, pos + OFF_MAX_TIMESTAMP);
  const codec = attributes & ATTR_COMPRESSION_MASK;
  let data: Buffer;
  if (codec === 0) data = buf.subarray(pos + BATCH_HEADER_SIZE, pos + size);
  else {
    if (!decompress) throw new Error(`batch compressed with codec ${codec} and no decompressor configured`);
    data = await decompress(codec, buf.subarray(pos + BATCH_HEADER_SIZE, pos + size));
  }
  const r = { pos: 0 };
  for (let i = 0; i < count && r.pos < data.length; i++) {
    const len = readVarint(data, r);
    const start = r.pos;
    r.pos++; // attributes
    const tsDelta = readVarlong(data, r);
    const offsetDelta = readVarint(data, r);
    if (visit(offsetDelta, logAppend ? maxTs : baseTs + tsDelta)) return;
    r.pos = start + len;
  }
}

function readVarint(buf: Buffer, r: { pos: number }): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[r.pos++];
    if (b === undefined) throw new RangeError('varint past end of record data');
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) throw new RangeError('varint too long');
  }
  return (value >>> 1) ^ -(value & 1);
}

function readVarlong(buf: Buffer, r: { pos: number }): number {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[r.pos++];
    if (b === undefined) throw new RangeError('varlong past end of record data');
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7n;
    if (shift > 63n) throw new RangeError('varlong too long');
  }
  return Number((value >> 1n) ^ -(value & 1n));
}
