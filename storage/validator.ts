// Kafka's LogValidator checks on what a producer sends, before the log takes it:
// one set of checks for every client append. The Produce handler only shapes the
// request (legacy message sets are up-converted to one v2 batch before this).
//
// In Kafka's order: magic 2 only; the codec against the request version (zstd
// needs Produce v7+: UNSUPPORTED_COMPRESSION_TYPE); exactly one batch
// (INVALID_RECORD); its length and CRC (CORRUPT_MESSAGE); a known codec, a record
// count that matches the offsets (INVALID_RECORD); at most max.message.bytes
// (MESSAGE_TOO_LARGE); well-formed records with offset deltas 0..n-1
// (CORRUPT_MESSAGE), no control batch and no producer id without a base sequence
// (INVALID_RECORD), compressed batches decompressed to be checked; keys on compacted topics (INVALID_RECORD); timestamps within
// message.timestamp.before/after.max.ms of now under CreateTime (INVALID_TIMESTAMP).
//
// Then, as Kafka's LogValidator, it returns the batch to append: under
// CreateTime the header's max timestamp is recomputed from the records (and the
// timestamp-type bit cleared), rewriting the header and CRC only when they
// differ, so the time index finds a batch whose producer left -1 there; and when
// compression.type names a codec other than the batch's, the records are
// recompressed into it (a new buffer; header fields kept, CRC recomputed).
// LogAppendTime stamping needs the append's clock, so the log does it.
import { Compression, compress } from '../protocol/compression.js';
import { walkBatches, checkProducedBatch, batchRecordsPayload, setMaxTimestamp, writeBatchCrc, RecordBatchError, RECORD_BATCH_OVERHEAD, TimestampType, LOG_OVERHEAD } from '../protocol/record-batch.js';
import { scanRecords, RecordScanError } from '../protocol/record-scan.js';
import { errorName } from '../protocol/errors.js';
import { ATTR_COMPRESSION_MASK, OFF_ATTRIBUTES, OFF_LENGTH, OFF_MAGIC } from '../protocol/record-batch-layout.js';
import { LogError, type StorageErrorName } from './errors.js';
import type { LogConfig } from './log-config.js';

/** The first Produce version that may carry zstd (KIP-110). */
const ZSTD_MIN_PRODUCE_VERSION = 7;

export interface ValidateOptions {
  /** The Produce request version (the codec rules depend on it). */
  produceVersion: number;
  /** False for up-converted magic 0 messages, which have no timestamps. */
  checkTimestamps: boolean;
  /** The broker's clock, for the timestamp bounds. */
  now: number;
}

function fail(code: StorageErrorName, message: string): LogError {
  return new LogError(code, message);
}

function fromBatchError(err: RecordBatchError): LogError {
  return fail(errorName(err.errorCode) as StorageErrorName, err.message);
}

/** compression.type values other than producer, as codec ids. */
const TARGET_CODEC: Readonly<Record<Exclude<LogConfig['compressionType'], 'producer'>, number>> = {
  uncompressed: Compression.none,
  gzip: Compression.gzip,
  snappy: Compression.snappy,
  lz4: Compression.lz4,
  zstd: Compression.zstd,
};

/**
 * Throws a LogError naming Kafka's error when `records` is not one acceptable
 * batch; otherwise returns the batch to append (see the file header): `records`
 * itself, maybe with its max timestamp rewritten, or a recompressed copy.
 */
export async function validateProducedRecords(records: Buffer, cfg: LogConfig, opts: ValidateOptions): Promise<Buffer> {
  const magic = records.length > OFF_MAGIC ? records.readInt8(OFF_MAGIC) : -1;
  if (magic !== 2) {
    throw fail('INVALID_RECORD', `Produce requests with version ${opts.produceVersion} are only allowed to contain record batches with magic version 2`);
  }
  // Kafka checks the codec against the request version before it looks at the records.
  if (records.length > OFF_ATTRIBUTES + 1 && (records.readInt16BE(OFF_ATTRIBUTES) & ATTR_COMPRESSION_MASK) === Compression.zstd && opts.produceVersion < ZSTD_MIN_PRODUCE_VERSION) {
    throw fail('UNSUPPORTED_COMPRESSION_TYPE', `Produce requests below version ${ZSTD_MIN_PRODUCE_VERSION} cannot carry zstd-compressed batches`);
  }
  const walk = walkBatches(records);
  if (walk.error) throw fromBatchError(walk.error);
  if (walk.batches.length !== 1) {
    throw fail('INVALID_RECORD', `Produce requests with version ${opts.produceVersion} are only allowed to contain exactly one record batch`);
  }
  const span = walk.batches[0];
  const h = span.header;
  const problem = checkProducedBatch(span);
  if (problem) throw fromBatchError(problem);
  // markers come from the transaction coordinator only
  if (h.isControl) throw fail('INVALID_RECORD', 'Clients are not allowed to write control records');
  if (h.producerId >= 0n && h.baseSequence < 0) {
    throw fail('INVALID_RECORD', `Invalid sequence number ${h.baseSequence} in record batch with producerId ${h.producerId}`);
  }
  const size = span.end - span.start;
  if (size > cfg.maxMessageBytes) {
    throw fail('MESSAGE_TOO_LARGE', `The record batch of ${size} bytes exceeds max.message.bytes ${cfg.maxMessageBytes}`);
  }

  let payload: Buffer;
  let start: number;
  let end: number;
  if (h.compression === Compression.none) {
    payload = records;
    start = span.start + RECORD_BATCH_OVERHEAD;
    end = span.end;
  } else {
    try {
      payload = await batchRecordsPayload(records, span);
    } catch (err) {
      if (err instanceof RecordBatchError) throw fromBatchError(err);
      throw err;
    }
    start = 0;
    end = payload.length;
  }
  let scan;
  try {
    scan = scanRecords(payload, start, end, h.recordCount);
  } catch (err) {
    if (err instanceof RecordScanError) throw fail('CORRUPT_MESSAGE', err.message);
    throw err;
  }
  if (scan.nullKeys > 0 && cfg.cleanupPolicy.includes('compact')) {
    throw fail('INVALID_RECORD', 'Compacted topic cannot accept message without key');
  }
  if (cfg.messageTimestampType === 'CreateTime' && opts.checkTimestamps) {
    const base = Number(h.baseTimestamp);
    const earliest = base + scan.minTimestampDelta;
    const latest = base + scan.maxTimestampDelta;
    if (opts.now - earliest > cfg.messageTimestampBeforeMaxMs || latest - opts.now > cfg.messageTimestampAfterMaxMs) {
      throw fail(
        'INVALID_TIMESTAMP',
        `Timestamp of a record in the batch is out of range: [${earliest}, ${latest}] against now ${opts.now} (message.timestamp.before.max.ms / after.max.ms)`,
      );
    }
  }
  if (cfg.messageTimestampType === 'CreateTime' && h.recordCount > 0) {
    const maxTimestamp = h.baseTimestamp + BigInt(scan.maxTimestampDelta);
    if (maxTimestamp !== h.maxTimestamp || h.timestampType !== TimestampType.CreateTime) {
      setMaxTimestamp(records, span.start, TimestampType.CreateTime, maxTimestamp);
    }
  }
  const target = cfg.compressionType === 'producer' ? h.compression : TARGET_CODEC[cfg.compressionType];
  if (target === h.compression) return records;
  return recompress(records.subarray(span.start, span.end), payload.subarray(start, end), target, cfg);
}

/** The batch with its records (`plain`, uncompressed) in codec `target`: same header, new length, codec bits and CRC. */
async function recompress(batch: Buffer, plain: Buffer, target: number, cfg: LogConfig): Promise<Buffer> {
  const level = target === Compression.gzip ? cfg.compressionGzipLevel : target === Compression.zstd ? cfg.compressionZstdLevel : undefined;
  let body: Buffer;
  try {
    body = await compress(target, plain, level === undefined || level === -1 ? {} : { level });
  } catch (err) {
    throw fail('UNSUPPORTED_COMPRESSION_TYPE', `cannot recompress into ${cfg.compressionType}: ${(err as Error).message}`);
  }
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + body.length);
  batch.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  body.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, OFF_LENGTH);
  const attributes = batch.readInt16BE(OFF_ATTRIBUTES);
  out.writeInt16BE((attributes & ~ATTR_COMPRESSION_MASK) | target, OFF_ATTRIBUTES);
  writeBatchCrc(out, 0);
  return out;
}
