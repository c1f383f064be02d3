// ConsumerGroupDescribe (key 69), version 0: each named consumer group with its
// state (Empty, Assigning, Reconciling, Stable), group and assignment epochs, the
// assignor in use, and its members: epochs, ids, client, subscription (names,
// regex), current assignment and target assignment as topic id + name +
// partitions. A missing group, or a classic one, answers GROUP_ID_NOT_FOUND; an
// empty id INVALID_GROUP_ID, as Kafka does. Authorized operations (READ, DELETE,
// DESCRIBE, as the authorizer allows) only when asked for. Authorization: DESCRIBE
// on each group, else GROUP_AUTHORIZATION_FAILED.
// Not done: v1 (MemberType; our copy of the spec stops at v0).
import { ConsumerGroupDescribeApi } from '../../protocol/messages/69-consumer-group-describe.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, ResourceType, authorizedGroupShard, authorizedOperations } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { GROUP_OPERATIONS, NOT_REQUESTED } from '../acl-operations.js';
import type { TopicPartitionList } from '../groups/consumer-types.js';

export const consumerGroupDescribeHandler = defineHandler({
  api: ConsumerGroupDescribeApi,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const { cluster, groups } = ctx.broker;
    const withNames = (list: TopicPartitionList) => ({
      topicPartitions: list.map((t) => ({ topicId: t.topicId, topicName: cluster.topicById(t.topicId)?.name ?? '', partitions: [...t.partitions] })),
    });
    return {
      groups: await Promise.all(req.groupIds.map(async (groupId) => {
        const failed = (errorCode: number, errorMessage: string | null) => ({ groupId, errorCode, errorMessage, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] });
        if (groupId === '') return failed(ErrorCode.INVALID_GROUP_ID, 'Group id can not be empty.');
        const shard = await authorizedGroupShard(ctx, AclOperation.DESCRIBE, groupId);
        if (!shard.coordinator) return failed(shard.errorCode, null);
        const g = shard.coordinator.describeConsumerGroups([groupId])[0];
        const ok = g.errorCode === ErrorCode.NONE;
        return {
          groupId,
          errorCode: g.errorCode,
          errorMessage: g.errorMessage,
          groupState: ok ? g.groupState : '',
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignorName,
          members: g.members.map((m) => ({
            ...m,
            subscribedTopicNames: [...m.subscribedTopicNames],
            assignment: withNames(m.assignment),
            targetAssignment: withNames(m.targetAssignment),
          })),
          authorizedOperations: ok && req.includeAuthorizedOperations ? authorizedOperations(ctx, GROUP_OPERATIONS, ResourceType.GROUP, groupId) : NOT_REQUESTED,
        };
      })),
    };
  },
});
