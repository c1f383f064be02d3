// DeleteRecords (key 21), versions 0-2.
// Moves a partition's log start offset forward: offset -1 means the high
// watermark; an offset above the high watermark is OFFSET_OUT_OF_RANGE; one at
// or below the current start changes nothing. Whole segments below the new
// start are deleted. The answer carries the new low watermark. Only the
// partition's leader does it: another node answers NOT_LEADER_OR_FOLLOWER.
// Authorization: DELETE on the topic, else TOPIC_AUTHORIZATION_FAILED, as Kafka.
import { DeleteRecordsApi } from '../../protocol/messages/21-delete-records.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { lookupPartition } from '../partition-lookup.js';
import { isLogError } from '../../storage/errors.js';

export const deleteRecordsHandler = defineHandler({
  api: DeleteRecordsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const topics = await Promise.all(
      req.topics.map(async (t) => {
        const topic = ctx.broker.cluster.topic(t.name);
        const deletable = authorized(ctx, AclOperation.DELETE, ResourceType.TOPIC, t.name);
        const partitions = await Promise.all(
          t.partitions.map(async (p) => {
            if (!deletable) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            const found = lookupPartition(ctx, topic, p.partitionIndex);
            if (!found.log) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: found.errorCode };
            const log = found.log;
            const target = p.offset === -1n ? log.highWatermark : Number(p.offset);
            if (target < 0 || target > log.highWatermark) {
              return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
            }
            try {
              const low = await log.deleteRecordsBefore(target);
              return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(low), errorCode: ErrorCode.NONE };
            } catch (err) {
              if (!isLogError(err)) throw err;
              return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode[err.code] };
            }
          }),
        );
        return { name: t.name, partitions };
      }),
    );
    return { topics };
  },
});
