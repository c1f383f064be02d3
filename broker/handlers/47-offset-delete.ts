// OffsetDelete (key 47), version 0.
// Deletes a group's committed offsets for the named partitions. As KafkaApis:
// unknown topics and partitions answer UNKNOWN_TOPIC_OR_PARTITION per partition
// and are not passed on; the rest goes to the coordinator even when empty, so
// that group-level errors come back: INVALID_GROUP_ID (empty id),
// GROUP_ID_NOT_FOUND (unknown or Dead), NON_EMPTY_GROUP (members, not the consumer
// protocol); a group-level error replaces the whole answer. For a consumer group
// with members, partitions of a topic some member is subscribed to answer
// GROUP_SUBSCRIBED_TO_TOPIC (subscriptions read from the members'
// ConsumerProtocolSubscription); deleting a partition with no offset succeeds.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: DELETE on the group (else GROUP_AUTHORIZATION_FAILED), READ on
// each topic (else TOPIC_AUTHORIZATION_FAILED per partition), as Kafka.
import { OffsetDeleteApi, type OffsetDeleteResponsePartition } from '../../protocol/messages/47-offset-delete.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorized, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { partitionExists, TopicPartitionResults } from '../group-service.js';

type PartitionResult = Pick<OffsetDeleteResponsePartition, 'partitionIndex' | 'errorCode'>;

export const offsetDeleteHandler = defineHandler({
  api: OffsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const { cluster, groups } = ctx.broker;
    const shard = await authorizedGroupShard(ctx, AclOperation.DELETE, req.groupId);
    if (!shard.coordinator) return { errorCode: shard.errorCode, topics: [] };
    const results = new TopicPartitionResults<PartitionResult>();
    const valid: { name: string; partitionIndexes: number[] }[] = [];
    for (const t of req.topics) {
      const known = cluster.topic(t.name) !== undefined;
      const readable = authorized(ctx, AclOperation.READ, ResourceType.TOPIC, t.name);
      const partitionIndexes: number[] = [];
      for (const p of t.partitions) {
        if (!readable) results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
        else if (known && partitionExists(cluster, t.name, p.partitionIndex)) partitionIndexes.push(p.partitionIndex);
        else results.add(t.name, { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      }
      if (partitionIndexes.length > 0) valid.push({ name: t.name, partitionIndexes });
    }
    const res = await shard.coordinator.deleteOffsets({ groupId: req.groupId, topics: valid });
    if (res.errorCode !== ErrorCode.NONE) return { errorCode: res.errorCode, topics: [] };
    results.merge(res.topics);
    return { errorCode: ErrorCode.NONE, topics: results.topics() };
  },
});
