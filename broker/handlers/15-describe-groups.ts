// DescribeGroups (key 15), versions 0-5.
// Each named group with its state, protocol type, selected protocol (only when
// Stable) and members (client id, "/host", metadata for the selected protocol
// when Stable, current assignment). A group this broker does not know is answered
// as Kafka does: no error, state "Dead", no members; so is a consumer group
// (KIP-848), as Kafka answers DescribeGroups below v6. An empty group id is
// described like any other (Kafka keeps it for backwards compatibility).
// v3+: authorized operations (of READ, DESCRIBE, DELETE, as the authorizer allows) when
// asked for, on groups without an error. v4+: members' group.instance.id.
// On a node that does not coordinate the group (another node leads its
// __consumer_offsets partition): NOT_COORDINATOR; while its shard loads:
// COORDINATOR_LOAD_IN_PROGRESS.
// Authorization: DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED (state '').
import { DescribeGroupsApi } from '../../protocol/messages/15-describe-groups.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { DescribedGroup } from '../groups/types.js';
import { AclOperation, ResourceType, authorized, authorizedOperations } from '../security/authorize.js';
import { defineHandler } from '../registry.js';
import { GROUP_OPERATIONS, NOT_REQUESTED } from '../acl-operations.js';
import { asBuffer } from '../group-service.js';

export const describeGroupsHandler = defineHandler({
  api: DescribeGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const withOperations = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
    const described = await Promise.all(
      req.groups.map(async (groupId): Promise<DescribedGroup> => {
        if (!authorized(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
          // Kafka's DescribeGroupsResponse.groupError: the unknown state, ''.
          return { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupState: '' as DescribedGroup['groupState'], protocolType: '', protocolData: '', members: [] };
        }
        const shard = await ctx.broker.groups.coordinatorFor(groupId, ctx.node.nodeId);
        if (shard.coordinator) return shard.coordinator.describeGroups([groupId])[0]!;
        return { groupId, errorCode: shard.errorCode, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      }),
    );
    return {
      groups: described.map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.groupState,
        protocolType: g.protocolType,
        protocolData: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: asBuffer(m.memberMetadata),
          memberAssignment: asBuffer(m.memberAssignment),
        })),
        authorizedOperations: withOperations && g.errorCode === ErrorCode.NONE ? authorizedOperations(ctx, GROUP_OPERATIONS, ResourceType.GROUP, g.groupId) : NOT_REQUESTED,
      })),
    };
  },
});
