// Transaction markers: the control batch the coordinator writes to each
// partition of a transaction when it ends, in Kafka's exact format
// (MemoryRecords.withEndTransactionMarker): magic 2, attributes transactional |
// control, uncompressed, CreateTime; the transaction's producer id and epoch,
// base sequence -1; one record at offset delta 0, no headers, whose
//   key   = ControlRecordType: version int16 0, type int16 (0 ABORT, 1 COMMIT)
//   value = EndTransactionMarker: version int16 0, coordinatorEpoch int32.

import { buildRecordBatchSync } from '../protocol/record-batch.js';
import { ATTR_COMPRESSION_MASK, BATCH_HEADER_SIZE, OFF_ATTRIBUTES } from './batch.js';

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;

export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
  /** Defaults to the log's clock. */
  timestamp?: number;
}

export function buildTxnMarkerBatch(m: TxnMarker, timestamp: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(m.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(m.coordinatorEpoch, 2);
  return buildRecordBatchSync({
    records: [{ timestamp: BigInt(timestamp), key, value }],
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
  });
}

export interface EndTxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
}

/**
 * The end-transaction marker carried by the control batch at `buf[pos..pos+size)`,
 * or null when it is not one (another control type, compressed, malformed).
 */
export function readEndTxnMarker(buf: Buffer, pos: number, size: number): EndTxnMarker | null {
  if ((buf.readInt16BE(pos + OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK) !== 0) return null;
  const r = { pos: pos + BATCH_HEADER_SIZE };
  const end = pos + size;
  try {
    readVarint(buf, r, end); // record length
    r.pos++; // attributes
    readVarint(buf, r, end, 10); // timestamp delta (varlong)
    readVarint(buf, r, end); // offset delta
    const keyLen = readVarint(buf, r, end);
    if (keyLen < 4 || r.pos + keyLen > end) return null;
    const version = buf.readInt16BE(r.pos);
    const type = buf.readInt16BE(r.pos + 2);
    r.pos += keyLen;
    if (version !== 0 || (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT)) return null;
    const valueLen = readVarint(buf, r, end);
    if (valueLen < 6 || r.pos + valueLen > end) return null;
    return { commit: type === CONTROL_TYPE_COMMIT, coordinatorEpoch: buf.readInt32BE(r.pos + 2) };
  } catch {
    return null;
  }
}

/** A zig-zag varint (up to `maxBytes` bytes; values beyond 2^31 only skipped, not decoded: 10 skips a varlong). */
export function readVarint(buf: Buffer, r: { pos: number }, end: number, maxBytes = 5): number {
  let value = 0;
  for (let i = 0; i < maxBytes; i++) {
    if (r.pos >= end) throw new RangeError('varint past the batch');
    const b = buf[r.pos++]!;
    if (i < 5) value |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) return (value >>> 1) ^ -(value & 1);
  }
  throw new RangeError('varint too long');
}
