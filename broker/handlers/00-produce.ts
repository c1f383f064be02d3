// Produce (key 0), versions 3-11.
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
// topic-level compression.type recompression, versions 0-2 (message sets v0/v1).
import { ProduceApi, type ProduceRequestPartitionProduceData, type ProduceResponsePartitionProduceResponse } from '../../protocol/messages/00-produce.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { walkBatches, checkProducedBatch, batchRecordsPayload, recordsMagic, RECORD_BATCH_OVERHEAD, RecordBatchError, type BatchSpan } from '../../protocol/record-batch.js';
import { scanRecords, RecordScanError } from '../../protocol/record-scan.js';
import { Compression } from '../../protocol/compression.js';
import { CloseConnection, NO_RESPONSE, defineHandler } from '../registry.js';
import type { RequestContext } from '../context.js';
import type { TopicInfo } from '../cluster.js';
import { topicConfig } from '../topic-config.js';
import { isLogError } from '../../storage/errors.js';

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

/** Kafka's LogValidator checks on the one batch of a partition, before the log sees it. */
async function validateBatch(ctx: RequestContext, topic: TopicInfo, records: Buffer): Promise<void> {
  const magic = records.length > 16 ? recordsMagic(records) : -1;
  if (magic !== 2) throw new ProduceError(ErrorCode.INVALID_RECORD, `Produce requests with version ${ctx.apiVersion} are only allowed to contain record batches with magic version 2`);
  const walk = walkBatches(records);
  if (walk.error) throw new ProduceError(walk.error.errorCode, walk.error.message);
  if (walk.batches.length !== 1) {
    throw new ProduceError(ErrorCode.INVALID_RECORD, `Produce requests with version ${ctx.apiVersion} are only allowed to contain exactly one record batch`);
  }
  const span: BatchSpan = walk.batches[0];
  const h = span.header;
  const problem = checkProducedBatch(span);
  if (problem) throw new ProduceError(problem.errorCode, problem.message);
  if (h.compression === Compression.zstd && ctx.apiVersion < 7) {
    throw new ProduceError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'Produce requests below version 7 cannot carry zstd-compressed batches');
  }
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
  if (cfg['message.timestamp.type'] === 'CreateTime') {
    const now = ctx.broker.clock.now();
    const base = Number(h.baseTimestamp);
    const earliest = base + scan.minTimestampDelta;
    const latest = base + scan.maxTimestampDelta;
    if (now - earliest > cfg['message.timestamp.before.max.ms'] || latest - now > cfg['message.timestamp.after.max.ms']) {
      throw new ProduceError(ErrorCode.INVALID_TIMESTAMP, `Timestamp of a record in the batch is out of range: [${earliest}, ${latest}] against now ${now} (message.timestamp.before.max.ms / after.max.ms)`);
    }
  }
}

async function producePartition(ctx: RequestContext, topic: TopicInfo | undefined, p: ProduceRequestPartitionProduceData, acks: number, timeoutMs: number): Promise<PartitionResult> {
  if (!topic || p.index < 0 || p.index >= topic.partitions.length) {
    return failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
  }
  const log = ctx.broker.logs.log(topic.name, p.index);
  if (!log) return failed(p.index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const records = p.records;
  if (records === null || !Buffer.isBuffer(records) || records.length === 0) {
    return failed(p.index, ErrorCode.INVALID_RECORD, 'Produce requests must carry one record batch per partition');
  }
  try {
    await validateBatch(ctx, topic, records);
    const result = log.append(records);
    if (acks !== 0) {
      const acked = result.ack(acks);
      if (acks === -1 && timeoutMs >= 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
        const outcome = await Promise.race([acked, timedOut]);
        clearTimeout(timer);
        if (outcome === 'timeout') return failed(p.index, ErrorCode.REQUEST_TIMED_OUT, `Not durable within ${timeoutMs} ms`);
      } else {
        await acked;
      }
    }
    return {
      index: p.index,
      errorCode: ErrorCode.NONE,
      baseOffset: BigInt(result.baseOffset),
      logAppendTimeMs: BigInt(result.logAppendTime),
      logStartOffset: BigInt(result.logStartOffset),
      errorMessage: null,
    };
  } catch (err) {
    if (err instanceof ProduceError) return failed(p.index, err.errorCode, err.message);
    if (isLogError(err)) return failed(p.index, ErrorCode[err.code], err.message);
    throw err;
  }
}

export const produceHandler = defineHandler({
  api: ProduceApi,
  minVersion: 3,
  maxVersion: 11,
  async handle(ctx, req) {
    const acks = req.acks;
    const responses = await Promise.all(
      req.topicData.map(async (t) => {
        const topic = ctx.broker.cluster.topic(t.name);
        const partitionResponses = await Promise.all(
          t.partitionData.map((p) =>
            acks === 0 || acks === 1 || acks === -1
              ? producePartition(ctx, topic, p, acks, req.timeoutMs)
              : failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS),
          ),
        );
        return { name: t.name, partitionResponses };
      }),
    );
    if (acks === 0) {
      const failure = responses.flatMap((t) => t.partitionResponses.map((p) => ({ t: t.name, p }))).find(({ p }) => p.errorCode !== ErrorCode.NONE);
      return failure ? new CloseConnection(`acks=0 produce to ${failure.t}-${failure.p.index} failed with error ${failure.p.errorCode}`) : NO_RESPONSE;
    }
    return { responses };
  },
});
