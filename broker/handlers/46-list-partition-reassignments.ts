// ListPartitionReassignments (key 46), version 0.
// A reassignment here completes before AlterPartitionReassignments answers
// (replication is not simulated), so none is ever in progress: the answer lists
// no topics, for all topics (null) or named ones (unknown names are skipped, as
// Kafka's controller skips them).
import { ListPartitionReassignmentsApi } from '../../protocol/messages/46-list-partition-reassignments.js';
import { ErrorCode } from '../../protocol/errors.js';
import { defineHandler } from '../registry.js';

export const listPartitionReassignmentsHandler = defineHandler({
  api: ListPartitionReassignmentsApi,
  minVersion: 0,
  maxVersion: 0,
  handle() {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
});
