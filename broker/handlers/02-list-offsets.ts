// ListOffsets (key 2), versions 0-10.
// Isolation (v2+, Kafka's Partition.fetchOffsetForTimestamp): the bound is the
// last stable offset for READ_COMMITTED, else the high watermark; a timestamp
// or max-timestamp hit at or past the bound answers offset -1, timestamp -1.
// Special timestamps: -2 earliest (log start offset), -1 latest (the bound),
// -3 the record with the largest timestamp (v7+), -4
// earliest local (v8+, the log start offset: no tiered storage), -5 earliest
// pending upload (v9+, none without tiered storage: offset -1). Any other
// timestamp finds, through the time index, the first offset whose timestamp is
// at or after it, or -1 when there is none. v0 answers the old "offsets" list.
// A partition named twice is INVALID_REQUEST, as Kafka answers. Only the
// partition's leader answers: another node gets NOT_LEADER_OR_FOLLOWER.
// Authorization: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED (before
// the duplicate check), as Kafka.
// Not done: follower requests (replica id >= 0 is answered like a consumer's).
import { ListOffsetsApi, type ListOffsetsResponseListOffsetsPartitionResponse } from '../../protocol/messages/02-list-offsets.js';
import type { EncodeInput } from '../../protocol/codec-runtime.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';
import { lookupPartition } from '../partition-lookup.js';
import { isLogError } from '../../storage/errors.js';

type Out = EncodeInput<ListOffsetsResponseListOffsetsPartitionResponse>;

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const EARLIEST_PENDING_UPLOAD = -5n;

export const listOffsetsHandler = defineHandler({
  api: ListOffsetsApi,
  minVersion: 0,
  maxVersion: 10,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const topics = [];
    for (const t of req.topics) {
      const topic = ctx.broker.cluster.topic(t.name);
      const describable = authorized(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name);
      const seen = new Set<number>();
      const duplicates = new Set(t.partitions.map((p) => p.partitionIndex).filter((i) => seen.has(i) || !seen.add(i)));
      const partitions: Out[] = [];
      for (const p of t.partitions) {
        const out: Out = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
        partitions.push(out);
        if (!describable) {
          out.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
          continue;
        }
        if (duplicates.has(p.partitionIndex)) {
          out.errorCode = ErrorCode.INVALID_REQUEST;
          continue;
        }
        const found = lookupPartition(ctx, topic, p.partitionIndex, v >= 4 ? p.currentLeaderEpoch : -1);
        if (!found.log) {
          out.errorCode = found.errorCode;
          continue;
        }
        const log = found.log;
        const leaderEpoch = topic!.partitions[p.partitionIndex].leaderEpoch;
        const ts = p.timestamp;
        let offset: number;
        let timestamp = -1n;
        const bound = v >= 2 && req.isolationLevel === 1 ? log.lastStableOffset : log.highWatermark;
        try {
          if (ts === LATEST) offset = bound;
          else if (ts === EARLIEST || (ts === EARLIEST_LOCAL && v >= 8)) offset = log.logStartOffset;
          else if (ts === EARLIEST_PENDING_UPLOAD && v >= 9) offset = -1;
          else if (ts === MAX_TIMESTAMP && v >= 7) {
            const m = await log.maxTimestampOffset();
            offset = m ? m.offset : -1;
            timestamp = m ? BigInt(m.timestamp) : -1n;
          } else if (ts < 0n) {
            out.errorCode = ErrorCode.UNSUPPORTED_VERSION;
            continue;
          } else {
            const found = await log.offsetForTimestamp(Number(ts));
            offset = found ? found.offset : -1;
            timestamp = found ? BigInt(found.timestamp) : -1n;
          }
        } catch (err) {
          if (!isLogError(err)) throw err;
          out.errorCode = ErrorCode[err.code];
          continue;
        }
        if (ts !== LATEST && ts !== EARLIEST && ts !== EARLIEST_LOCAL && offset >= bound) {
          offset = -1;
          timestamp = -1n;
        }
        if (v === 0) {
          out.oldStyleOffsets = offset >= 0 && p.maxNumOffsets > 0 ? [BigInt(offset)] : [];
        } else {
          out.offset = BigInt(offset);
          out.timestamp = timestamp;
          if (v >= 4) out.leaderEpoch = offset >= 0 ? leaderEpoch : -1;
        }
      }
      topics.push({ name: t.name, partitions });
    }
    return { topics };
  },
});
