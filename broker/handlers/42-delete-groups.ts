// DeleteGroups (key 42), versions 0-2.
// Deletes each named group that is Empty (or only holds committed offsets) with
// its offsets. Per group, as Kafka: GROUP_ID_NOT_FOUND when unknown (or already
// Dead), NON_EMPTY_GROUP while it has members. A name repeated in one request is
// answered once. An empty group id is handled like any other name.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: DELETE on each group, else GROUP_AUTHORIZATION_FAILED.
import { DeleteGroupsApi } from '../../protocol/messages/42-delete-groups.js';
import { AclOperation, authorizedGroupShard } from '../security/authorize.js';
import { defineHandler } from '../registry.js';

export const deleteGroupsHandler = defineHandler({
  api: DeleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const results = await Promise.all(
      [...new Set(req.groupsNames)].map(async (groupId) => {
        const shard = await authorizedGroupShard(ctx, AclOperation.DELETE, groupId);
        if (!shard.coordinator) return { groupId, errorCode: shard.errorCode };
        const [r] = await shard.coordinator.deleteGroups([groupId]);
        return { groupId, errorCode: r!.errorCode };
      }),
    );
    return { results };
  },
});
