// ListGroups (key 16), versions 0-5.
// Every group this node coordinates (the loaded shards of the __consumer_offsets
// partitions it leads;
// COORDINATOR_LOAD_IN_PROGRESS, with the groups loaded so far, while one loads), with its protocol type ('' for groups that
// only commit offsets). v4+: the group state, and a states filter (case-
// insensitive; empty = all). v5+: the group type ("classic" or "consumer") and
// a types filter (case-insensitive). Consumer groups (KIP-848) list with protocol
// type "consumer" and their states Empty, Assigning, Reconciling, Stable.
// Authorization as Kafka: only the groups the principal may DESCRIBE, unless it
// may DESCRIBE the cluster.
import { ListGroupsApi } from '../../protocol/messages/16-list-groups.js';
import { AclOperation, ResourceType, visible } from '../security/authorize.js';
import { CLUSTER_NAME } from '../security/acl.js';
import { defineHandler } from '../registry.js';

export const listGroupsHandler = defineHandler({
  api: ListGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const v = ctx.apiVersion;
    const mine = ctx.broker.groups.coordinatorsOf(ctx.node.nodeId);
    const all = visible(ctx, AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME);
    const groups = mine.coordinators
      .flatMap((c) => c.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []))
      .filter((g) => all || visible(ctx, AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId));
    return {
      errorCode: mine.errorCode,
      groups: groups.map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        groupState: v >= 4 ? g.groupState : '',
        groupType: v >= 5 ? g.groupType : '',
      })),
    };
  },
});
