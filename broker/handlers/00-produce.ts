// Produce (key 0), versions 0-11.
// v0-v2 carry legacy message sets (magic 0/1): they are up-converted to one v2
// batch with the same codec, as Kafka does with message format v2 (magic 0
// messages have no timestamp: -1, and no timestamp check). Advertising v0 also
// matters to librdkafka up to 2.11, which compresses with gzip, snappy or lz4
// only when the broker lists Produce v0.
// Only the partition's leader takes the batch: another node answers
// NOT_LEADER_OR_FOLLOWER, from v10 with the current leader (KIP-951
// currentLeader) and its endpoint (nodeEndpoints) so the client need not ask
// Metadata first. Kafka's LogValidator checks (one batch, magic, CRC, codec
// against the version, record count and scan, keys on compacted topics,
// timestamps, max.message.bytes) are storage's (storage/validator.ts); the
// idempotent producer's sequence and epoch checks are the log's
// (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH; a retried duplicate
// gets its original offset). Batches carry the leader epoch they were written in.
// acks=0: no answer, and a failure closes the connection (as Kafka does, so the
// client notices). acks=1: answered once the batch is written. acks=-1: once it
// is durable under the flush policy (group-commit: after the fsync covering it),
// REQUEST_TIMED_OUT after timeoutMs, or NOT_LEADER_OR_FOLLOWER at once if the
// leadership moves while it waits. Other acks: INVALID_REQUIRED_ACKS.
// producer_byte_rate (broker/quotas): the request's size is charged to its
// client once answered; over the quota the answer carries throttle_time_ms and
// the connection is muted for it (acks=0 too, without an answer), as Kafka does.
// Unknown topics get UNKNOWN_TOPIC_OR_PARTITION: Kafka creates topics on
// Metadata requests, never on Produce.
// The validator returns the batch to append: its max timestamp recomputed from
// the records, recompressed when compression.type names another codec.
// acks=-1 on a topic whose min.insync.replicas exceeds 1 (the ISR is the leader
// alone) gets NOT_ENOUGH_REPLICAS before anything is validated, as in Kafka.
// Authorization (Kafka's KafkaApis): WRITE on each topic, else
// TOPIC_AUTHORIZATION_FAILED before the topic is looked up; transactional batches
// need WRITE on the transactional id.
// Transactions: a request carrying a transactional batch without a (writable)
// transactional_id is answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
// partition (Kafka's KafkaApis); control batches from clients and a producer
// id without a base sequence are INVALID_RECORD (validator.ts); a plain batch
// from a producer inside its open transaction is INVALID_TXN_STATE and an
// older epoch INVALID_PRODUCER_EPOCH (the log's producer state). A producer's
// first transactional batch opens its transaction on the partition, which
// holds back the last stable offset until the coordinator's marker.
// With transaction.partition.verification.enable (default true) a transactional
// batch to a partition not in its producer's open transaction is refused
// (transactions/produce-verification.ts).
import { ProduceApi, type ProduceRequest, type ProduceRequestPartitionProduceData, type ProduceResponsePartitionProduceResponse } from '../../protocol/messages/00-produce.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { buildRecordBatch, decodeLegacyMessageSet, RecordBatchError } from '../../protocol/record-batch.js';

/** Attributes byte of the first message of a legacy message set (offset 8, size 4, crc 4, magic 1). */
const LEGACY_ATTRIBUTES_AT = 17;

/** Whether any v2 batch of a partition's records has the transactional bit (Kafka's ProduceRequest.hasTransactionalRecords). */
function hasTransactionalBatch(records: unknown): boolean {
  if (!Buffer.isBuffer(records)) return false;
  for (let pos = 0; pos + OFF_ATTRIBUTES + 2 <= records.length; ) {
    if (records[pos + OFF_MAGIC] !== 2) return false;
    if ((records.readInt16BE(pos + OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0) return true;
    const length = records.readInt32BE(pos + OFF_LENGTH);
    if (length <= 0) return false;
    pos += LOG_OVERHEAD + length;
  }
  return false;
}
import { CloseConnection, NO_RESPONSE, defineHandler } from '../registry.js';
import { chargeClient } from '../quotas/charge.js';
import type { RequestContext } from '../context.js';
import type { TopicInfo } from '../cluster.js';
import { lookupPartition, stillLeads, currentLeaderOf, nodeEndpoints } from '../partition-lookup.js';
import { onLeadershipChange } from '../leadership.js';
import { validateProducedRecords } from '../../storage/validator.js';
import { isLogError } from '../../storage/errors.js';
import { AppendResult } from '../../storage/partition-log.js';
import { ATTR_TRANSACTIONAL, OFF_ATTRIBUTES, OFF_LENGTH, OFF_MAGIC } from '../../protocol/record-batch-layout.js';
import { verifyTransactionalProduce } from '../transactions/produce-verification.js';
import { LOG_OVERHEAD } from '../../protocol/record-batch.js';

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

/** Validates and appends one partition's batch: the part that must happen in request order. */
async function appendPartition(ctx: RequestContext, topic: TopicInfo | undefined, p: ProduceRequestPartitionProduceData, acks: number): Promise<AppendResult | PartitionResult> {
  const found = lookupPartition(ctx, topic, p.index);
  if (!found.log) {
    const message = found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 'This server does not host this topic-partition.' : null;
    return notLeaderAware(ctx, failed(p.index, found.errorCode, message), topic);
  }
  // The ISR is the leader alone; Kafka checks min.insync.replicas before validating the batch.
  const minIsr = found.log.config.minInsyncReplicas;
  if (acks === -1 && minIsr > 1) {
    return failed(p.index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR [${ctx.node.nodeId}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic!.name}-${p.index}`);
  }
  let records = p.records;
  if (records === null || !Buffer.isBuffer(records) || records.length === 0) {
    return failed(p.index, ErrorCode.INVALID_RECORD, 'Produce requests must carry one record batch per partition');
  }
  try {
    const legacyMagic = ctx.apiVersion < 3 && records.length > LEGACY_ATTRIBUTES_AT ? records[16] : 2;
    if (legacyMagic < 2) records = await upConvert(records);
    records = await validateProducedRecords(records, found.log.config, { produceVersion: ctx.apiVersion, checkTimestamps: legacyMagic !== 0, now: ctx.broker.clock.now() });
  } catch (err) {
    const refused = err instanceof ProduceError ? err.errorCode : isLogError(err) ? ErrorCode[err.code] : undefined;
    if (refused === undefined) throw err;
    // A refused batch (a compression bomb, a corrupt batch) is worth a line; a client repeating it, one per interval.
    const error = errorName(refused);
    ctx.broker.rateLimitedLog.log(ctx.logger, 'warn', `produce refused: ${error}`, { topic: topic!.name, partition: p.index, error, reason: (err as Error).message }, 'refusing a produced batch');
    return failed(p.index, refused, (err as Error).message);
  }
  // Validation may have awaited (decompression): the leadership may have moved meanwhile.
  if (!stillLeads(ctx, topic!, p.index)) return notLeaderAware(ctx, failed(p.index, ErrorCode.NOT_LEADER_OR_FOLLOWER), topic);
  try {
    return found.log.append(records, { leaderEpoch: topic!.partitions[p.index].leaderEpoch });
  } catch (err) {
    if (isLogError(err)) return failed(p.index, ErrorCode[err.code], err.message);
    throw err;
  }
}

/** transaction.partition.verification.enable: a transactional batch to a partition outside its producer's transaction is refused (null: go on). */
function verifyCode(ctx: RequestContext, transactionalId: string | null, topic: string, p: ProduceRequestPartitionProduceData): PartitionResult | null {
  if (transactionalId === null) return null;
  const code = verifyTransactionalProduce(ctx.broker.transactions, ctx.broker.logs.log(topic, p.index), transactionalId, topic, p.index, p.records, ctx.apiVersion);
  return code === ErrorCode.NONE ? null : failed(p.index, code);
}

/** Errors that send the client elsewhere or back: not failures of the topic (as Kafka does not count them). */
const ROUTING_ERRORS = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUIRED_ACKS]);

/** BrokerTopicMetrics of existing topics: records and bytes appended, and appends refused or failed. */
function meterAppends(ctx: RequestContext, req: ProduceRequest, topics: (TopicInfo | undefined)[], appended: (AppendResult | PartitionResult)[][]): void {
  for (let i = 0; i < topics.length; i++) {
    if (!topics[i]) continue;
    const m = ctx.broker.metrics.topic(req.topicData[i].name);
    const results = appended[i];
    for (let j = 0; j < results.length; j++) {
      const r = results[j];
      m.produceRequests++;
      if (r instanceof AppendResult) {
        if (r.duplicate) continue;
        m.messagesIn += r.lastOffset - r.baseOffset + 1;
        m.bytesIn += req.topicData[i].partitionData[j].records?.length ?? 0;
      } else if (!ROUTING_ERRORS.has(r.errorCode as number)) {
        m.failedProduceRequests++;
      }
    }
  }
}

/** KIP-951 (v10+): a NOT_LEADER_OR_FOLLOWER answer names the current leader. */
function notLeaderAware(ctx: RequestContext, r: PartitionResult, topic: TopicInfo | undefined): PartitionResult {
  if (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && ctx.apiVersion >= 10) r.currentLeader = currentLeaderOf(topic, r.index as number);
  return r;
}

/**
 * Waits for what `acks` asks (written, or durable within timeoutMs) and builds
 * the answer. An acks=-1 wait ends with NOT_LEADER_OR_FOLLOWER as soon as this
 * node stops leading the partition, as Kafka's purgatory does.
 */
async function acknowledge(ctx: RequestContext, topic: TopicInfo, index: number, result: AppendResult, acks: number, timeoutMs: number): Promise<PartitionResult> {
  try {
    const acked = result.ack(acks);
    if (acks === -1) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let unsubscribe: (() => void) | undefined;
      const interrupted = new Promise<'timeout' | 'moved'>((resolve) => {
        if (timeoutMs >= 0) timer = setTimeout(() => resolve('timeout'), timeoutMs);
        unsubscribe = onLeadershipChange(ctx.broker.cluster, () => {
          if (!stillLeads(ctx, topic, index)) resolve('moved');
        });
      });
      const outcome = await Promise.race([acked, interrupted]);
      clearTimeout(timer);
      unsubscribe?.();
      if (outcome === 'timeout') return failed(index, ErrorCode.REQUEST_TIMED_OUT, `Not durable within ${timeoutMs} ms`);
      if (outcome === 'moved') return notLeaderAware(ctx, failed(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'The leadership moved while the produce waited for acks'), topic);
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
    const topics = req.topicData.map((t) => ctx.broker.cluster.topic(t.name));
    // Kafka refuses the whole request before looking at any partition
    const transactional = req.topicData.some((t) => t.partitionData.some((p) => hasTransactionalBatch(p.records)));
    const noTransactionalId = !transactional
      ? null
      : req.transactionalId === null
        ? 'Transactional records need a transactional_id in the Produce request'
        : !authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)
          ? 'Transactional Id authorization failed.'
          : null;
    const writable = req.topicData.map((t) => authorized(ctx, AclOperation.WRITE, ResourceType.TOPIC, t.name));
    const verify = ctx.broker.config.values['transaction.partition.verification.enable'] ? req.transactionalId : null;
    const appended = await Promise.all(
      req.topicData.map((t, i) => {
        const topic = topics[i];
        return Promise.all(
          t.partitionData.map((p) =>
            noTransactionalId !== null
              ? failed(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, noTransactionalId)
              : !writable[i]
                ? failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
                : !validAcks
                ? failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS)
                : (verifyCode(ctx, verify, t.name, p) ?? appendPartition(ctx, topic, p, acks)),
          ),
        );
      }),
    );
    meterAppends(ctx, req, topics, appended);
    if (acks === 0) {
      // Nothing is sent back, so the next request on this connection must see the data: wait until it is written.
      for (const parts of appended) for (const r of parts) if (r instanceof AppendResult) await r.written.catch(() => undefined);
      const failures = req.topicData.flatMap((t, i) => appended[i].flatMap((r) => (r instanceof AppendResult ? [] : [{ topic: t.name, r }])));
      const first = failures[0];
      // No answer carries the throttle time, but the connection is muted all the same, as Kafka does.
      chargeClient(ctx, ctx.broker.quotas.produce, ctx.requestSize);
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
            return r instanceof AppendResult ? acknowledge(ctx, topics[i]!, p.index, r, acks, req.timeoutMs) : r;
          }),
        ),
      })),
    );
    // producer_byte_rate counts whole requests once answered, as Kafka's produce callback does.
    const throttleTimeMs = chargeClient(ctx, ctx.broker.quotas.produce, ctx.requestSize);
    if (ctx.apiVersion < 10) return { throttleTimeMs, responses };
    const leaders = responses.flatMap((t, i) =>
      t.partitionResponses.filter((p) => p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER).map((p) => currentLeaderOf(topics[i], p.index as number).leaderId),
    );
    return { throttleTimeMs, responses, nodeEndpoints: nodeEndpoints(ctx, leaders) };
  },
});
