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
// (INVALID_RECORD), compressed batches decompressed to be checked and stored as
// they came; keys on compacted topics (INVALID_RECORD); timestamps within
// message.timestamp.before/after.max.ms of now under CreateTime (INVALID_TIMESTAMP).
import { Compression } from '../protocol/compression.js';
import { walkBatches, checkProducedBatch, batchRecordsPayload, RecordBatchError, RECORD_BATCH_OVERHEAD } from '../protocol/record-batch.js';
import { scanRecords, RecordScanError } from '../protocol/record-scan.js';
import { errorName } from '../protocol/errors.js';
import { ATTR_COMPRESSION_MASK, OFF_ATTRIBUTES, OFF_MAGIC } from '../protocol/record-batch-layout.js';
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

/** Throws a LogError naming Kafka's error when `records` is not one acceptable batch. */
export async function validateProducedRecords(records: Buffer, cfg: LogConfig, opts: ValidateOptions): Promise<void> {
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
}
