// Test helper: builds RecordBatch v2 bytes (uncompressed, correct CRC32C) the
// way a producer sends them, so storage tests do not depend on the protocol
// layer's batch builder.

import { crc32c } from '../protocol/crc32c.js';
import { writeInt64 } from './batch.js';

export interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  /** Absolute timestamp (default: the batch's base timestamp). */
  timestamp?: number;
}

export interface TestBatchOptions {
  records: TestRecord[];
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Attribute bits 0-2 only set (the bytes stay uncompressed; for header tests). */
  compressionBits?: number;
}

function varint(n: number): number[] {
  let v = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

function varlong(n: number): number[] {
  let v = (BigInt(n) << 1n) ^ (BigInt(n) >> 63n);
  v &= (1n << 64n) - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function buildBatch(opts: TestBatchOptions): Buffer {
  const baseTs = opts.baseTimestamp ?? Date.now();
  const recs: Buffer[] = [];
  let maxTs = -1;
  opts.records.forEach((r, i) => {
    const ts = r.timestamp ?? baseTs;
    if (ts > maxTs) maxTs = ts;
    const body: number[] = [0, ...varlong(ts - baseTs), ...varint(i)];
    const parts: Buffer[] = [];
    const key = r.key ?? null;
    const head = Buffer.from(body);
    const keyLen = Buffer.from(varint(key === null ? -1 : key.length));
    const valLen = Buffer.from(varint(r.value === null ? -1 : r.value.length));
    parts.push(head, keyLen);
    if (key) parts.push(key);
    parts.push(valLen);
    if (r.value) parts.push(r.value);
    parts.push(Buffer.from(varint(0)));
    const rec = Buffer.concat(parts);
    recs.push(Buffer.from(varint(rec.length)), rec);
  });
  const records = Buffer.concat(recs);
  const b = Buffer.alloc(61 + records.length);
  writeInt64(b, 0, 0);
  b.writeInt32BE(b.length - 12, 8);
  b.writeInt32BE(-1, 12);
  b.writeInt8(2, 16);
  let attributes = opts.compressionBits ?? 0;
  if (opts.transactional) attributes |= 0x10;
  if (opts.control) attributes |= 0x20;
  b.writeInt16BE(attributes, 21);
  b.writeInt32BE(opts.records.length - 1, 23);
  writeInt64(b, 27, baseTs);
  writeInt64(b, 35, maxTs);
  writeInt64(b, 43, opts.producerId ?? -1);
  b.writeInt16BE(opts.producerEpoch ?? -1, 51);
  b.writeInt32BE(opts.baseSequence ?? -1, 53);
  b.writeInt32BE(opts.records.length, 57);
  records.copy(b, 61);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

/** A batch of `count` records with values `${prefix}-${i}` (and optional sizes). */
export function simpleBatch(count: number, opts: Partial<TestBatchOptions> & { prefix?: string; valueBytes?: number } = {}): Buffer {
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++) {
    const v = `${opts.prefix ?? 'v'}-${i}`;
    records.push({ value: opts.valueBytes ? Buffer.alloc(opts.valueBytes, v) : Buffer.from(v) });
  }
  return buildBatch({ ...opts, records: opts.records ?? records });
}
