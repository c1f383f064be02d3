// Fetch (key 1), versions 0-17.
// Whole batches are returned as slices of the log (no copy, no re-encoding),
// reading at most partition_max_bytes per partition and max_bytes in all
// (capped by the broker's fetch.max.bytes); the
// first partition with data returns its first batch even when it is larger, as
// Kafka does. Below min_bytes the request waits up to max_wait_ms and is woken
// by any append that moves a fetched partition's high watermark; a waiting
// fetch no longer counts against queued.max.requests (ctx.parked).
// OFFSET_OUT_OF_RANGE outside [log start, high watermark]; topic names up to
// v12, topic ids from v13 (UNKNOWN_TOPIC_ID when unknown); current leader epoch
// checked (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). Only the partition's
// leader serves it: another node answers NOT_LEADER_OR_FOLLOWER, from v12 with
// the current leader and from v16 its endpoint (KIP-951); a parked fetch whose
// partition moves away answers at once with that error.
// Fetch sessions (KIP-227): answered session-less. Every answer carries session
// id 0, so clients keep sending full fetch requests; an incremental request
// for a session we never created gets FETCH_SESSION_ID_NOT_FOUND.
// v0-v3 get message format v0/v1, down-converted from the log's v2 batches
// (message.downconversion.enable=false: UNSUPPORTED_VERSION); a zstd topic
// answers below v10 with UNSUPPORTED_COMPRESSION_TYPE (broker/fetch-down-conversion.ts).
// Isolation (Kafka's UnifiedLog.read): READ_UNCOMMITTED (0) reads up to the
// high watermark with a null aborted_transactions; READ_COMMITTED (1) stops at
// the last stable offset (whole batches; an offset in [LSO, log end] answers
// empty, no error) and lists the aborted transactions overlapping what it
// returns, sorted by first offset (an empty list when none; see
// PartitionLog.abortedTransactions for why not in marker order).
// last_stable_offset is always sent. A long poll counts only the bytes it may
// return, so read_committed waits for data below the LSO; the LSO moves only
// with the high watermark or a marker, both of which wake it.
// consumer_byte_rate (broker/quotas): max_bytes is capped to what the client's
// quota allows in its windows; a fetch that takes the client over its quota
// answers with no partitions and the throttle time (its bytes are not counted),
// as Kafka does. Kafka counts the whole response's size; here the record bytes.
// Authorization: READ on each topic, else TOPIC_AUTHORIZATION_FAILED (after an
// unknown topic id, before an unknown topic name), as Kafka.
// Not done: follower fetching (replica ids other than -1 are refused).
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { FetchApi, type FetchRequest, type FetchResponsePartitionData } from '../../protocol/messages/01-fetch.js';
// Kafka sends an empty record set, never a null one; librdkafka refuses a null.
import { type EncodeInput, ZERO_UUID, EMPTY_BUFFER } from '../../protocol/codec-runtime.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';
import { chargeClient, clientOf } from '../quotas/charge.js';
import type { RequestContext } from '../context.js';
import { lookupPartition, stillLeads, currentLeaderOf, nodeEndpoints } from '../partition-lookup.js';
import { onLeadershipChange } from '../leadership.js';
import type { TopicInfo } from '../cluster.js';
import { isLogError } from '../../storage/errors.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import { ATTR_CONTROL, OFF_ATTRIBUTES, OFF_RECORD_COUNT } from '../../protocol/record-batch-layout.js';
import { convertForFetch, fetchVersionRefusal, legacyMagicFor } from '../fetch-down-conversion.js';

type PartitionOut = EncodeInput<FetchResponsePartitionData>;

interface Slot {
  topicIndex: number;
  topic?: TopicInfo;
  out: PartitionOut;
  log?: PartitionLog;
  fetchOffset: number;
  maxBytes: number;
}

function emptyPartition(partitionIndex: number, errorCode: number): PartitionOut {
  return { partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, records: EMPTY_BUFFER };
}

function resolve(ctx: RequestContext, req: FetchRequest): { slots: Slot[]; topics: { topic: string; topicId: string }[] } {
  const { cluster } = ctx.broker;
  const byId = ctx.apiVersion >= 13;
  const slots: Slot[] = [];
  const topics = req.topics.map((t, topicIndex) => {
    const topic = byId ? cluster.topicById(t.topicId) : cluster.topic(t.topic);
    // Kafka: an unknown id first, then READ on the name, then an unknown name.
    const denied = (topic !== undefined || !byId) && !authorized(ctx, AclOperation.READ, ResourceType.TOPIC, topic?.name ?? t.topic);
    for (const p of t.partitions) {
      const found = denied ? { log: undefined, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED } : lookupPartition(ctx, topic, p.partition, p.currentLeaderEpoch);
      const refused = found.log ? fetchVersionRefusal(ctx.apiVersion, found.log.config) : null;
      const errorCode = !topic && byId ? ErrorCode.UNKNOWN_TOPIC_ID : (refused ?? found.errorCode);
      slots.push({
        topicIndex,
        topic,
        out: emptyPartition(p.partition, errorCode),
        log: refused === null ? found.log : undefined,
        fetchOffset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
      });
    }
    return { topic: t.topic, topicId: byId ? t.topicId : (topic?.id ?? ZERO_UUID) };
  });
  return { slots, topics };
}

/** One pass over every partition; returns the bytes gathered. */
async function readAll(ctx: RequestContext, slots: Slot[], maxBytes: number, readCommitted: boolean): Promise<number> {
  let total = 0;
  for (const s of slots) {
    if (!s.log) continue;
    if (!stillLeads(ctx, s.topic!, s.out.partitionIndex as number)) {
      // The leadership moved while the fetch was parked.
      Object.assign(s.out, emptyPartition(s.out.partitionIndex as number, ErrorCode.NOT_LEADER_OR_FOLLOWER));
      s.log = undefined;
      continue;
    }
    const limit = Math.max(0, Math.min(s.maxBytes, maxBytes - total));
    try {
      const r = await s.log.read(s.fetchOffset, limit, total === 0, readCommitted);
      s.out.errorCode = ErrorCode.NONE;
      s.out.highWatermark = BigInt(r.highWatermark);
      s.out.lastStableOffset = BigInt(r.lastStableOffset);
      s.out.logStartOffset = BigInt(r.logStartOffset);
      s.out.abortedTransactions = r.abortedTransactions ? r.abortedTransactions.map((t) => ({ producerId: BigInt(t.producerId), firstOffset: BigInt(t.firstOffset) })) : null;
      s.out.records = r.batches.length > 0 ? r.batches : EMPTY_BUFFER;
      total += r.bytes;
    } catch (err) {
      if (!isLogError(err)) throw err;
      Object.assign(s.out, emptyPartition(s.out.partitionIndex as number, ErrorCode[err.code]));
      s.out.highWatermark = BigInt(s.log.highWatermark);
      s.out.logStartOffset = BigInt(s.log.logStartOffset);
      s.out.lastStableOffset = BigInt(s.log.lastStableOffset);
    }
  }
  return total;
}

/** Fetch v0-v3: each partition's batches in the version's message format. */
async function downConvertAll(slots: Slot[], version: number): Promise<void> {
  for (const s of slots) {
    const records = s.out.records;
    if (s.out.errorCode !== ErrorCode.NONE || !Array.isArray(records) || records.length === 0) continue;
    const converted = await convertForFetch(version, Buffer.concat(records), s.fetchOffset);
    if (typeof converted === 'number') Object.assign(s.out, emptyPartition(s.out.partitionIndex as number, converted));
    else s.out.records = converted.length > 0 ? converted : EMPTY_BUFFER;
  }
}

/** Resolves when any of the logs' high watermarks moves, any leadership changes, or after `ms`. */
function waitForData(ctx: RequestContext, logs: PartitionLog[], ms: number): Promise<void> {
  return new Promise((done) => {
    const unsubscribe: (() => void)[] = [];
    const finish = () => {
      timer.cancel();
      for (const u of unsubscribe) u();
      done();
    };
    const timer = ctx.broker.clock.setTimeout(finish, ms);
    for (const log of logs) unsubscribe.push(log.onHighWatermark(finish));
    unsubscribe.push(onLeadershipChange(ctx.broker.cluster, finish));
  });
}

/** Answers that are the client's to handle (refresh metadata, reset its offset): not failures of the topic. */
const ROUTING_ERRORS = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.OFFSET_OUT_OF_RANGE,
]);

/** BrokerTopicMetrics of existing topics: bytes and records sent (control batches are not records), and failed reads. */
function meterReads(ctx: RequestContext, slots: Slot[]): void {
  for (const s of slots) {
    if (!s.topic) continue;
    const m = ctx.broker.metrics.topic(s.topic.name);
    m.fetchRequests++;
    if (s.out.errorCode !== ErrorCode.NONE) {
      if (!ROUTING_ERRORS.has(s.out.errorCode as number)) m.failedFetchRequests++;
      continue;
    }
    if (!Array.isArray(s.out.records)) continue;
    for (const b of s.out.records as Buffer[]) {
      m.bytesOut += b.length;
      if ((b.readInt16BE(OFF_ATTRIBUTES) & ATTR_CONTROL) === 0) m.messagesOut += b.readInt32BE(OFF_RECORD_COUNT);
    }
  }
}

export const fetchHandler = defineHandler({
  api: FetchApi,
  minVersion: 0,
  maxVersion: 17,
  async handle(ctx, req) {
    const replicaId = ctx.apiVersion >= 15 ? req.replicaState.replicaId : req.replicaId;
    if (replicaId >= 0) {
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, sessionId: 0, responses: [] };
    }
    if (ctx.apiVersion >= 7 && req.sessionId !== 0) {
      // We never hand out a session, so any request naming one names an unknown one.
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const { slots, topics } = resolve(ctx, req);
    // The broker's fetch.max.bytes caps what a client may ask for, as in Kafka.
    const fetchQuota = ctx.broker.quotas.fetch;
    const maxBytes = Math.min(
      ctx.apiVersion >= 3 ? req.maxBytes : 0x7fffffff,
      ctx.broker.config.values['fetch.max.bytes'],
      Math.floor(Math.min(fetchQuota.maxValueInQuotaWindow(...clientOf(ctx)), 0x7fffffff)),
    );
    const readCommitted = req.isolationLevel === 1;
    let bytes = await readAll(ctx, slots, maxBytes, readCommitted);
    const hasError = () => slots.some((s) => s.out.errorCode !== ErrorCode.NONE);
    if (bytes < req.minBytes && req.maxWaitMs > 0 && !hasError()) {
      const deadline = ctx.broker.clock.now() + req.maxWaitMs;
      // Waiting for producers: out of the broker-wide request budget, or enough waiting fetches would keep them out.
      ctx.parked();
      const logs = slots.flatMap((s) => (s.log ? [s.log] : []));
      while (bytes < req.minBytes && !hasError()) {
        const left = deadline - ctx.broker.clock.now();
        if (left <= 0) break;
        await waitForData(ctx, logs, left);
        bytes = await readAll(ctx, slots, maxBytes, readCommitted);
      }
    }
    const throttleTimeMs = chargeClient(ctx, fetchQuota, bytes);
    if (throttleTimeMs > 0) {
      fetchQuota.unrecord(...clientOf(ctx), bytes, ctx.broker.clock.now());
      return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId: 0, responses: [] };
    }
    meterReads(ctx, slots);
    if (legacyMagicFor(ctx.apiVersion) !== null) await downConvertAll(slots, ctx.apiVersion);
    const responses = topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: [] as PartitionOut[] }));
    const leaders: number[] = [];
    for (const s of slots) {
      if (s.out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && ctx.apiVersion >= 12) {
        const leader = currentLeaderOf(s.topic, s.out.partitionIndex as number);
        s.out.currentLeader = leader;
        leaders.push(leader.leaderId);
      }
      responses[s.topicIndex].partitions.push(s.out);
    }
    if (ctx.apiVersion < 16) return { errorCode: ErrorCode.NONE, sessionId: 0, responses };
    return { errorCode: ErrorCode.NONE, sessionId: 0, responses, nodeEndpoints: nodeEndpoints(ctx, leaders) };
  },
});
