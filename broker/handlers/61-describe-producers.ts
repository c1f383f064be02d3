// DescribeProducers (key 61), version 0.
// Per requested partition, the producers the partition's log knows (Kafka's
// UnifiedLog.activeProducers): producer id and epoch, the last sequence
// (-1 when no data batch is retained), the timestamp of its last batch, the
// coordinator epoch of its last marker (-1 before any) and the first offset of
// its open transaction (-1 when none). An unknown topic or partition answers
// UNKNOWN_TOPIC_OR_PARTITION, a partition this node does not lead
// NOT_LEADER_OR_FOLLOWER, with a null error message, as Kafka does.
// Authorization: READ on the topic, else TOPIC_AUTHORIZATION_FAILED, as Kafka.
import { DescribeProducersApi } from '../../protocol/messages/61-describe-producers.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { lookupPartition } from '../partition-lookup.js';

export const describeProducersHandler = defineHandler({
  api: DescribeProducersApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const topics = req.topics.map((t) => {
      const topic = ctx.broker.cluster.topic(t.name);
      const readable = authorized(ctx, AclOperation.READ, ResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          if (!readable) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
          const found = lookupPartition(ctx, topic, partitionIndex);
          if (!found.log) return { partitionIndex, errorCode: found.errorCode, errorMessage: null, activeProducers: [] };
          const activeProducers = [...found.log.producers.entries()].map((e) => ({
            producerId: BigInt(e.producerId),
            producerEpoch: e.producerEpoch,
            lastSequence: e.lastSeq,
            lastTimestamp: BigInt(e.lastTimestamp),
            coordinatorEpoch: e.coordinatorEpoch,
            currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
          }));
          return { partitionIndex, errorCode: 0, errorMessage: null, activeProducers };
        }),
      };
    });
    return { throttleTimeMs: 0, topics };
  },
});
