// SyncGroup (key 14), versions 0-5.
// The leader's SyncGroup carries every member's assignment; the others park until
// it arrives (their answers come out of the coordinator's step that handles the
// leader's request, or of the rebalance timeout); a parked SyncGroup no longer
// counts against queued.max.requests (ctx.parked). v3+: group.instance.id. v5+:
// protocolType and protocolName are mandatory in the request (missing ->
// INCONSISTENT_GROUP_PROTOCOL, checked before the group, as KafkaApis does),
// must match the group's, and are echoed in the answer. A classic member of a
// consumer group (KIP-848 migration) gets the partitions the broker assigned it.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { SyncGroupApi } from '../../protocol/messages/14-sync-group.js';
import { syncError } from '../groups/classic-group.js';
import { AclOperation, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { asBuffer } from '../group-service.js';

export const syncGroupHandler = defineHandler({
  api: SyncGroupApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const shard = await authorizedGroupShard(ctx, AclOperation.READ, req.groupId);
    const answer = !shard.coordinator ? syncError(shard.errorCode) : shard.coordinator.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
      apiVersion: v,
    });
    // A follower's SyncGroup waits for the leader's, out of the request budget (see JoinGroup).
    ctx.parked();
    const res = await answer;
    return {
      errorCode: res.errorCode,
      protocolType: v >= 5 ? res.protocolType : null,
      protocolName: v >= 5 ? res.protocolName : null,
      assignment: asBuffer(res.assignment),
    };
  },
});
