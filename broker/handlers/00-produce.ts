// Produce (key 0), versions 0-11.
// v0-v2 carry legacy message sets (magic 0/1): they are up-converted to one v2
// batch with the same codec, as Kafka does with message format v2 (magic 0
// messages have no timestamp: -1, and no timestamp check). Advertising v0 also
// matters to librdkafka up to 2.11, which compresses with gzip, snappy or lz4
// only when the broker lists Produce v0.
// Each partition's records must be exactly one RecordBatch v2 (INVALID_RECORD
// otherwise, as Kafka requires from v3) with a good CRC (CORRUPT_MESSAGE), a
// known codec (zstd only from v7, else UNSUPPORTED_COMPRESSION_TYPE), a record
// count that matches its offsets, well-formed records with offset deltas 0..n-1,
// timestamps within message.timestamp.before/after.max.ms (INVALID_TIMESTAMP),
// keys on compacted topics (INVALID_RECORD), and at most max.message.bytes
// (MESSAGE_TOO_LARGE). Compressed batches are decompressed to be checked and
// stored as they came. The idempotent producer's sequence and epoch checks are
// the log's (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH; a retried
// duplicate gets its original offset).
// acks=0: no answer, and a failure closes the connection (as Kafka does, so the
// client notices). acks=1: answered once the batch is written. acks=-1: once it
// is durable under the flush policy (group-commit: after the fsync covering it),
// or REQUEST_TIMED_OUT after timeoutMs. Other acks: INVALID_REQUIRED_ACKS.
// Unknown topics get UNKNOWN_TOPIC_OR_PARTITION: Kafka creates topics on
// Metadata requests, never on Produce.
// Not done: transactions (transactional batches are refused by the log),
// topic-level compression.type recompression.
import { ProduceApi, type ProduceRequestPartitionProduceData, type ProduceResponsePartitionProduceResponse } from '../../protocol/messages/00-produce.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { walkBatches, checkProducedBatch, batchRecordsPayload, recordsMagic, buildRecordBatch, decodeLegacyMessageSet, RECORD_BATCH_OVERHEAD, RecordBatchError, type BatchSpan } from '../../protocol/record-batch.js';

/** Attributes byte of the first message of a legacy message set (offset 8, size 4, crc 4, magic 1). */
const LEGACY_ATTRIBUTES_AT = 17;
import { scanRecords, RecordScanError } from '../../protocol/record-scan.js';
import { Compression } from '../../protocol/compression.js';
import { CloseConnection, NO_RESPONSE, defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import type { TopicInfo } from '../cluster.js';
import { topicConfig } from '../topic-config.js';
import { isLogError } from '../../storage/errors.js';
import { AppendResult } from '../../storage/partition-log.js';

type PartitionResult = EncodeInput<ProduceResponsePartitionProduceResponse>;

class ProduceError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage };
}

/** A legacy message set (magic 0/1) rebuilt as one v2 batch with the wrapper's codec. */
async function upConvert(records: Buffer): Promise<Buffer> {
  let messages;
  try {
    messages = await decodeLegacyMessageSet(records);
  } catch (err) {
    if (err instanceof RecordBatchError) throw new ProduceError(err.errorCode, err.message);
    throw err;
  }
  if (messages.length === 0) throw new ProduceError(ErrorCode.INVALID_RECORD, 'empty message set');
  const codec = records[LEGACY_ATTRIBUTES_AT] & 0x07;
  return buildRecordBatch({
    records: messages.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp })),
    compression: codec,
  });
}

/** Kafka's LogValidator checks on the one batch of a partition, before the log sees it. */
async function validateBatch(ctx: RequestContext, topic: TopicInfo, records: Buffer, checkTimestamps = true): Promise<void> {
  const magic = records.length > 16 ? recordsMagic(records) : -1;
  if (magic !== 2) throw new ProduceError(ErrorCode.INVALID_RECORD, `Produce requests with version ${ctx.apiVersion} are only allowed to contain record batches with magic version 2`);
  // (v0-v2 message sets were up-converted before this point.)
  // Kafka checks the codec against the request version before it looks at the records.
  if (records.length > 22 && (records.readInt16BE(21) & 0x07) === Compression.zstd && ctx.apiVersion < 7) {
    throw new ProduceError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests below version 7 cannot carry zstd-compressed batches');
  }
  const walk = walkBatches(records);
  if (walk.error) throw new ProduceError(walk.error.errorCode, walk.error.message);
  if (walk.batches.length !== 1) {
    throw new ProduceError(ErrorCode.INVALID_RECORD, `Produce requests with version ${ctx.apiVersion} are only allowed to contain exactly one record batch`);
  }
  const span: BatchSpan = walk.batches[0];
  const h = span.header;
  const problem = checkProducedBatch(span);
  if (problem) throw new ProduceError(problem.errorCode, problem.message);
  const cfg = topicConfig(ctx.broker.config, topic);
  const size = span.end - span.start;
  if (size > cfg['max.message.bytes']) {
    throw new ProduceError(ErrorCode.MESSAGE_TOO_LARGE, `The record batch of ${size} bytes exceeds max.message.bytes ${cfg['max.message.bytes']}`);
  }

  let payload: Buffer;
  let start: number;
  if (h.compression === Compression.none) {
    payload = records;
    start = span.start + RECORD_BATCH_OVERHEAD;
  } else {
    try {
      payload = await batchRecordsPayload(records, span);
    } catch (err) {
      if (err instanceof RecordBatchError) throw new ProduceError(err.errorCode, err.message);
      throw err;
    }
    start = 0;
  }
  const end = h.compression === Compression.none ? span.end : payload.length;
  let scan;
  try {
    scan = scanRecords(payload, start, end, h.recordCount);
  } catch (err) {
    if (err instanceof RecordScanError) throw new ProduceError(ErrorCode.CORRUPT_MESSAGE, err.message);
    throw err;
  }
  if (scan.nullKeys > 0 && cfg['cleanup.policy'].includes('compact')) {
    throw new ProduceError(ErrorCode.INVALID_RECORD, 'Compacted topic cannot accept message without key');
  }
  if (cfg['message.timestamp.type'] === 'CreateTime' && checkTimestamps) {
    const now = ctx.broker.clock.now();
    const base = Number(h.baseTimestamp);
    const earliest = base + scan.minTimestampDelta;
    const latest = base + scan.maxTimestampDelta;
    if (now - earliest > cfg['message.timestamp.before.max.ms'] || latest - now > cfg['message.timestamp.after.max.ms']) {
      throw new ProduceError(ErrorCode.INVALID_TIMESTAMP, `Timestamp of a record in the batch is out of range: [${earliest}, ${latest}] against now ${now} (message.timestamp.before.max.ms / after.max.ms)`);
    }
  }
}

/** Validates and appends one partition's batch: the part that must happen in request order. */
async function appendPartition(ctx: RequestContext, topic: TopicInfo | undefined, p: ProduceRequestPartitionProduceData): Promise<AppendResult | PartitionResult> {
  if (!topic || p.index < 0 || p.index >= topic.partitions.length) {
    return failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  }
  const log = ctx.broker.logs.log(topic.name, p.index);
  if (!log) return failed(p.index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  let records = p.records;
  if (records === null || !Buffer.isBuffer(records) || records.length === 0) {
    return failed(p.index, ErrorCode.INVALID_RECORD, 'Produce requests must carry one record batch per partition');
  }
  try {
    const legacyMagic = ctx.apiVersion < 3 && records.length > LEGACY_ATTRIBUTES_AT ? records[16] : 2;
    if (legacyMagic < 2) records = await upConvert(records);
    await validateBatch(ctx, topic, records, legacyMagic !== 0);
    return log.append(records);
  } catch (err) {
    if (err instanceof ProduceError) {
      // A refused batch (a compression bomb, a corrupt batch) is worth a line; a client repeating it, one per interval.
      const error = errorName(err.errorCode);
      ctx.broker.rateLimitedLog.log(ctx.logger, 'warn', `produce refused: ${error}`, { topic: topic.name, partition: p.index, error, reason: err.message }, 'refusing a produced batch');
      return failed(p.index, err.errorCode, err.message);
    }
    if (isLogError(err)) return failed(p.index, ErrorCode[err.code], err.message);
    throw err;
  }
}

/** Waits for what `acks` asks (written, or durable within timeoutMs) and builds the answer. */
async function acknowledge(index: number, result: AppendResult, acks: number, timeoutMs: number): Promise<PartitionResult> {
  try {
    const acked = result.ack(acks);
    if (acks === -1 && timeoutMs >= 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const outcome = await Promise.race([acked, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') return failed(index, ErrorCode.REQUEST_TIMED_OUT, `Not durable within ${timeoutMs} ms`);
    } else {
      await acked;
    }
  } catch (err) {
    if (isLogError(err)) return failed(index, ErrorCode[err.code], err.message);
    throw err;
  }
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: BigInt(result.baseOffset),
    logAppendTimeMs: BigInt(result.logAppendTime),
    logStartOffset: BigInt(result.logStartOffset),
    errorMessage: null,
  };
}

export const produceHandler = defineHandler({
  api: ProduceApi,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, req) {
    const acks = req.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const appended = await Promise.all(
      req.topicData.map((t) => {
        const topic = ctx.broker.cluster.topic(t.name);
        return Promise.all(
          t.partitionData.map((p) => (validAcks ? appendPartition(ctx, topic, p) : failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS))),
        );
      }),
    );
    if (acks === 0) {
      // Nothing is sent back, so the next request on this connection must see the data: wait until it is written.
      for (const parts of appended) for (const r of parts) if (r instanceof AppendResult) await r.written.catch(() => undefined);
      const failures = req.topicData.flatMap((t, i) => appended[i].flatMap((r) => (r instanceof AppendResult ? [] : [{ topic: t.name, r }])));
      const first = failures[0];
      return first ? new CloseConnection(`acks=0 produce to ${first.topic}-${first.r.index} failed with error ${first.r.errorCode}`) : NO_RESPONSE;
    }
    // Appended in request order; waiting for acks may overlap the next request.
    ctx.releaseOrder();
    const responses = await Promise.all(
      req.topicData.map(async (t, i) => ({
        name: t.name,
        partitionResponses: await Promise.all(
          t.partitionData.map((p, j) => {
            const r = appended[i][j];
            return r instanceof AppendResult ? acknowledge(p.index, r, acks, req.timeoutMs) : r;
          }),
        ),
      })),
    );
    return { responses };
  },
});
