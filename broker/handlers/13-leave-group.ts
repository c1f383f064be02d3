// LeaveGroup (key 13), versions 0-5.
// v0-v2 name one member by its member id; v3+ name a batch of members, each by
// member id and/or group.instance.id (an empty member id with an instance id
// removes that static member, as admin tools do), with a per-member error; v5+
// carries a reason per member, logged with the rebalance. Classic members of a
// consumer group (KIP-848 migration) leave it the same way.
// Errors as Kafka answers them: an empty group id is INVALID_GROUP_ID at the top
// level; an unknown group answers UNKNOWN_MEMBER_ID for every member with no
// top-level error. v0-v2 have only the top-level error: it is the top-level error
// if there is one, else the member's own.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
import { LeaveGroupApi } from '../../protocol/messages/13-leave-group.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';

export const leaveGroupHandler = defineHandler({
  api: LeaveGroupApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const members =
      v <= 2
        ? [{ memberId: req.memberId, groupInstanceId: null, reason: null }]
        : req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }));
    const shard = await authorizedGroupShard(ctx, AclOperation.READ, req.groupId);
    const res = shard.coordinator ? await shard.coordinator.leaveGroup({ groupId: req.groupId, members }) : { errorCode: shard.errorCode, members: [] };
    if (v <= 2) {
      const errorCode = res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.members[0]?.errorCode ?? ErrorCode.NONE);
      return { errorCode };
    }
    return {
      errorCode: res.errorCode,
      members: res.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: m.errorCode })),
    };
  },
});
