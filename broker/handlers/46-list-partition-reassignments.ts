// ListPartitionReassignments (key 46), version 0.
// A reassignment here completes before AlterPartitionReassignments answers
// (replication is not simulated), so none is ever in progress: the answer lists
// no topics, for all topics (null) or named ones (unknown names are skipped, as
// Kafka's controller skips them).
// Authorization: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
import { ListPartitionReassignmentsApi } from '../../protocol/messages/46-list-partition-reassignments.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AclOperation, clusterAuthorized } from '../security/authorize.js';
import { defineHandler } from '../registry.js';

export const listPartitionReassignmentsHandler = defineHandler({
  api: ListPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx) {
    if (!clusterAuthorized(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [] };
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
});
