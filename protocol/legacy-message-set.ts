// Down-conversion of RecordBatch v2 to legacy message sets (magic 0 and 1) for
// Fetch v0-v3, as Kafka's RecordsUtil.downConvert does:
//   - control batches are dropped (old clients know no transaction markers);
//   - an uncompressed batch becomes one message per record, skipping records
//     before the fetch offset; a compressed batch becomes one wrapper message
//     in the same codec holding all its records (zstd has no legacy form: the
//     caller refuses it first);
//   - magic 1 keeps timestamps and the timestamp type (LogAppendTime wrappers
//     and messages carry the append time); magic 0 has neither;
//   - inside a magic-1 wrapper offsets are relative to the first record and the
//     wrapper carries the last record's absolute offset; magic 0 keeps absolute
//     offsets inside and the last offset on the wrapper;
//   - headers are dropped: messages before v2 have none.
// Message layout: offset int64, size int32, crc uint32 (CRC-32 over magic..end),
// magic int8, attributes int8 (codec; bit 3 LogAppendTime in magic 1),
// timestamp int64 (magic 1 only), key and value as int32-length bytes (-1 null).
// Not done: magic-0 lz4 with the pre-0.10 broken frame checksum (written as a
// standard LZ4 frame, which clients from 0.10 on read).
import zlib from 'node:zlib';
import { compress, Compression } from './compression.js';
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE_LOG_APPEND } from './record-batch-layout.js';
import { decodeBatch, walkBatches, RecordBatchError, TimestampType, type KafkaRecord } from './record-batch.js';

export type LegacyMagic = 0 | 1;

function bytesSize(b: Buffer | null): number {
  return 4 + (b?.length ?? 0);
}

function writeBytes(out: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) {
    out.writeInt32BE(-1, pos);
    return pos + 4;
  }
  out.writeInt32BE(b.length, pos);
  b.copy(out, pos + 4);
  return pos + 4 + b.length;
}

/** One message with its offset and size prefix. */
export function legacyMessage(magic: LegacyMagic, offset: bigint, attributes: number, timestamp: bigint, key: Buffer | null, value: Buffer | null): Buffer {
  const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + bytesSize(key) + bytesSize(value);
  const out = Buffer.allocUnsafe(12 + size);
  out.writeBigInt64BE(offset, 0);
  out.writeInt32BE(size, 8);
  out.writeInt8(magic, 16);
  out.writeInt8(magic === 1 ? attributes : attributes & ATTR_COMPRESSION_MASK, 17);
  let pos = 18;
  if (magic === 1) {
    out.writeBigInt64BE(timestamp, pos);
    pos += 8;
  }
  writeBytes(out, writeBytes(out, pos, key), value);
  out.writeUInt32BE(zlib.crc32(out.subarray(16)), 12);
  return out;
}

/**
 * The v2 batches in `batches` (whole, as the log serves them) as a legacy
 * message set of `magic`, starting at `fetchOffset`. Throws RecordBatchError
 * ('unsupported-compression') for a zstd batch.
 */
export async function downConvert(batches: Buffer, magic: LegacyMagic, fetchOffset: bigint): Promise<Buffer> {
  const walk = walkBatches(batches);
  if (walk.error) throw walk.error;
  const out: Buffer[] = [];
  for (const span of walk.batches) {
    const h = span.header;
    if (h.isControl) continue;
    if (h.compression === Compression.zstd) {
      throw new RecordBatchError('unsupported-compression', 'zstd batches cannot be down-converted to message format v0/v1', span.start);
    }
    const { records } = await decodeBatch(batches, span.start);
    const logAppendTime = h.timestampType === TimestampType.LogAppendTime;
    const typeBit = magic === 1 && logAppendTime ? ATTR_TIMESTAMP_TYPE_LOG_APPEND : 0;
    const timestampOf = (r: KafkaRecord): bigint => (magic === 1 ? r.timestamp : -1n);
    if (h.compression === Compression.none) {
      for (const r of records) {
        if (r.offset >= fetchOffset) out.push(legacyMessage(magic, r.offset, typeBit, timestampOf(r), r.key, r.value));
      }
      continue;
    }
    if (records.length === 0) continue;
    const first = records[0]!.offset;
    const last = records[records.length - 1]!.offset;
    const inner = records.map((r) => legacyMessage(magic, magic === 1 ? r.offset - first : r.offset, typeBit, timestampOf(r), r.key, r.value));
    let maxTimestamp = -1n;
    for (const r of records) if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    const value = await compress(h.compression, Buffer.concat(inner));
    out.push(legacyMessage(magic, last, h.compression | typeBit, magic === 1 ? maxTimestamp : -1n, null, value));
  }
  return Buffer.concat(out);
}
