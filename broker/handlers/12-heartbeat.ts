// Heartbeat (key 12), versions 0-4.
// Keeps a member's session alive and tells it whether a rebalance is under way:
// REBALANCE_IN_PROGRESS while the group prepares or completes a rebalance the
// member must join, ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID as
// the group coordinator decides (Kafka's classic rules). v3+: group.instance.id.
// A classic member of a consumer group (KIP-848 migration) is told
// REBALANCE_IN_PROGRESS when the broker's assignment for it moved on.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { HeartbeatApi } from '../../protocol/messages/12-heartbeat.js';
import { AclOperation, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';

export const heartbeatHandler = defineHandler({
  api: HeartbeatApi,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const shard = await authorizedGroupShard(ctx, AclOperation.READ, req.groupId);
    if (!shard.coordinator) return { errorCode: shard.errorCode };
    const res = await shard.coordinator.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
    });
    return { errorCode: res.errorCode };
  },
});
