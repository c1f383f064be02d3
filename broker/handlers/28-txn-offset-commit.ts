// TxnOffsetCommit (key 28), versions 0-4, handled by the group's coordinator shard.
// The offsets are appended to the group's __consumer_offsets partition as one
// transactional batch with the producer's id and epoch (answered once durable,
// as OffsetCommit), and stay pending per (group, producer id), invisible to
// OffsetFetch (OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for
// them) until the transaction's commit marker reaches that partition, where they
// become commits; an abort marker drops them. A restart replays them pending
// until their marker, as Kafka's loadGroupsAndOffsets. A missing
// group is created (unless a generation is named: ILLEGAL_GENERATION); member,
// static instance and generation are checked only when a v3+ request names them
// (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, ILLEGAL_GENERATION; a consumer group
// member's epoch is its generation), as Kafka.
// With transaction.partition.verification.enable (default true) the group's
// offsets partition must be in the producer's open transaction (AddOffsetsToTxn;
// asked of the coordinator until the transaction is open on that partition):
// else TRANSACTION_ABORTABLE, INVALID_TXN_STATE below v4; a wrong epoch
// INVALID_PRODUCER_EPOCH; a wrong producer id INVALID_PRODUCER_ID_MAPPING.
// Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION. NOT_COORDINATOR and
// COORDINATOR_LOAD_IN_PROGRESS as OffsetCommit (the latter is
// COORDINATOR_NOT_AVAILABLE below v2).
// Authorization as Kafka: WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (else
// GROUP_AUTHORIZATION_FAILED), READ on each topic (else TOPIC_AUTHORIZATION_FAILED).
import { TxnOffsetCommitApi } from '../../protocol/messages/28-txn-offset-commit.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { partitionExists, TopicPartitionResults } from '../group-service.js';
import type { OffsetCommitTopic } from '../groups/types.js';
import { OFFSETS_TOPIC } from '../offsets/offsets-topic.js';
import { downgradeTxnError } from '../transactions/errors.js';
import { verifyPartitionInTransaction } from '../transactions/produce-verification.js';

type PartitionResult = { partitionIndex: number; errorCode: number };

export const txnOffsetCommitHandler = defineHandler({
  api: TxnOffsetCommitApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const { cluster, groups, transactions, config } = ctx.broker;
    const v = ctx.apiVersion;
    const results = new TopicPartitionResults<PartitionResult>();
    const valid: OffsetCommitTopic[] = [];
    // Kafka: WRITE on the transactional id, READ on the group, READ on each topic.
    const denied = !authorized(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)
      ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !authorized(ctx, AclOperation.READ, ResourceType.GROUP, req.groupId)
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : null;
    for (const t of req.topics) {
      const partitions: OffsetCommitTopic['partitions'][number][] = [];
      const topicDenied = denied ?? (authorized(ctx, AclOperation.READ, ResourceType.TOPIC, t.name) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      for (const p of t.partitions) {
        if (topicDenied !== null) {
          results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: topicDenied });
          continue;
        }
        if (!partitionExists(cluster, t.name, p.partitionIndex)) {
          results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        partitions.push({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: p.committedLeaderEpoch, commitTimestamp: -1, committedMetadata: p.committedMetadata });
      }
      if (partitions.length > 0) valid.push({ name: t.name, partitions });
    }
    const failAll = (errorCode: number) => {
      for (const t of valid) for (const p of t.partitions) results.add(t.name, { partitionIndex: p.partitionIndex, errorCode });
      return { topics: results.topics() };
    };
    if (valid.length === 0) return { topics: results.topics() };
    const shard = await groups.coordinatorFor(req.groupId, ctx.node.nodeId);
    if (!shard.coordinator) {
      return failAll(shard.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS && v < 2 ? ErrorCode.COORDINATOR_NOT_AVAILABLE : shard.errorCode);
    }
    if (config.values['transaction.partition.verification.enable']) {
      const offsets = { topic: OFFSETS_TOPIC, partition: groups.partitionFor(req.groupId) };
      const code = verifyPartitionInTransaction(transactions, ctx.broker.logs.log(offsets.topic, offsets.partition), req.transactionalId, req.producerId, req.producerEpoch, offsets);
      // Kafka answers TxnOffsetCommit's fencing with INVALID_PRODUCER_EPOCH at every version.
      if (code !== ErrorCode.NONE) return failAll(downgradeTxnError(code, v, { fencedFrom: Number.POSITIVE_INFINITY, abortableFrom: 4 }));
    }
    const res = await shard.coordinator.txnCommitOffsets(
      { groupId: req.groupId, generationIdOrMemberEpoch: v >= 3 ? req.generationId : -1, memberId: v >= 3 ? req.memberId : '', groupInstanceId: v >= 3 ? req.groupInstanceId : null, apiVersion: v, topics: valid },
      { producerId: req.producerId, producerEpoch: req.producerEpoch },
    );
    results.merge(res.topics);
    return { topics: results.topics() };
  },
});
