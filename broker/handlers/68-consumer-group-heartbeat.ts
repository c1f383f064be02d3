// ConsumerGroupHeartbeat (key 68), versions 0-1: join, heartbeat and leave a
// consumer group of the next-generation protocol (KIP-848). The group coordinator
// (broker/groups/consumer-heartbeat.ts) does the work: validation with Kafka's
// INVALID_REQUEST messages, epochs, server-side assignment (uniform, range),
// reconciliation, static members, timers, online migration from and to classic
// groups (group.consumer.migration.policy). Assignments travel as topic ids (the
// ids Metadata reports). v0: an empty member id gets one from the broker; v1: the
// client makes its own id, and may subscribe by regular expression.
// With `group.coordinator.rebalance.protocols` lacking "consumer" the API answers
// UNSUPPORTED_VERSION, as Kafka does.
// Member clientId is the request header's client id, clientHost "/<address>".
// On a node that does not coordinate the group: NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
// Not done: rack-aware assignment (racks are recorded only).
import { ConsumerGroupHeartbeatApi } from '../../protocol/messages/68-consumer-group-heartbeat.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { clientHostOf } from '../group-service.js';

export const consumerGroupHeartbeatHandler = defineHandler({
  api: ConsumerGroupHeartbeatApi,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    if (!ctx.broker.config.values['group.coordinator.rebalance.protocols'].includes('consumer')) {
      return { errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: 'The consumer group protocol is not enabled.', memberEpoch: 0, heartbeatIntervalMs: 0 };
    }
    const shard = await authorizedGroupShard(ctx, AclOperation.READ, req.groupId);
    if (!shard.coordinator) return { errorCode: shard.errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    const res = await shard.coordinator.consumerGroupHeartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      apiVersion: ctx.apiVersion,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.remote),
    });
    return {
      errorCode: res.errorCode,
      errorMessage: res.errorMessage,
      memberId: res.memberId,
      memberEpoch: res.memberEpoch,
      heartbeatIntervalMs: res.heartbeatIntervalMs,
      assignment: res.assignment === null ? null : { topicPartitions: res.assignment.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })) },
    };
  },
});
