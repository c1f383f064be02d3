// One error response per served API, built from the request as Kafka's
// AbstractRequest.getErrorResponse builds it: every topic, partition, group or
// resource the request names gets the error code, and the fields that would carry
// data hold Kafka's "none" values (-1 offsets, empty members). Fault injection
// answers a whole request with these; a test checks each one encodes at every
// served version.
import { ZERO_UUID, type EncodeInput } from '../../protocol/codec-runtime.js';
import type * as M from '../../protocol/messages/index.js';

type Builder<Req, Res> = (request: Req, version: number, errorCode: number) => EncodeInput<Res>;

function builder<Req, Res>(apiKey: number, build: Builder<Req, Res>): [number, Builder<unknown, unknown>] {
  return [apiKey, build as Builder<unknown, unknown>];
}

const ERROR_RESPONSES = new Map<number, Builder<unknown, unknown>>([
  builder<M.ProduceRequest, M.ProduceResponse>(0, (req, _v, errorCode) => ({
    responses: req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1n })),
    })),
  })),
  builder<M.FetchRequest, M.FetchResponse>(1, (req, v, errorCode) => ({
    ...(v >= 7 ? { errorCode } : {}),
    responses: req.topics.map((t) => ({
      ...(v >= 13 ? { topicId: t.topicId } : { topic: t.topic }),
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode, highWatermark: -1n })),
    })),
  })),
  builder<M.ListOffsetsRequest, M.ListOffsetsResponse>(2, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  })),
  builder<M.MetadataRequest, M.MetadataResponse>(3, (req, v, errorCode) => ({
    brokers: [],
    controllerId: -1,
    topics: (req.topics ?? []).map((t) => ({
      errorCode,
      name: t.name ?? (v >= 12 ? null : ''),
      ...(v >= 10 ? { topicId: t.topicId } : {}),
      partitions: [],
    })),
  })),
  builder<M.OffsetCommitRequest, M.OffsetCommitResponse>(8, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  })),
  builder<M.OffsetFetchRequest, M.OffsetFetchResponse>(9, (req, v, errorCode) => {
    const topics = (ts: readonly { name: string; partitionIndexes: readonly number[] }[] | null) =>
      (ts ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, metadata: '', errorCode })),
      }));
    if (v >= 8) return { groups: req.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) };
    return { topics: topics(req.topics), ...(v >= 2 ? { errorCode } : {}) };
  }),
  builder<M.FindCoordinatorRequest, M.FindCoordinatorResponse>(10, (req, v, errorCode) =>
    v >= 4
      ? { coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode })) }
      : { errorCode, nodeId: -1, host: '', port: -1 },
  ),
  builder<M.JoinGroupRequest, M.JoinGroupResponse>(11, (_req, v, errorCode) => ({
    errorCode,
    generationId: -1,
    protocolName: v >= 7 ? null : '',
    leader: '',
    memberId: '',
    members: [],
  })),
  builder<M.HeartbeatRequest, M.HeartbeatResponse>(12, (_req, _v, errorCode) => ({ errorCode })),
  builder<M.LeaveGroupRequest, M.LeaveGroupResponse>(13, (_req, _v, errorCode) => ({ errorCode })),
  builder<M.SyncGroupRequest, M.SyncGroupResponse>(14, (_req, _v, errorCode) => ({ errorCode, assignment: Buffer.alloc(0) })),
  builder<M.DescribeGroupsRequest, M.DescribeGroupsResponse>(15, (req, _v, errorCode) => ({
    groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })),
  })),
  builder<M.ListGroupsRequest, M.ListGroupsResponse>(16, (_req, _v, errorCode) => ({ errorCode, groups: [] })),
  builder<M.SaslHandshakeRequest, M.SaslHandshakeResponse>(17, (_req, _v, errorCode) => ({ errorCode, mechanisms: [] })),
  builder<M.SaslAuthenticateRequest, M.SaslAuthenticateResponse>(36, (_req, _v, errorCode) => ({
    errorCode,
    errorMessage: null,
    authBytes: Buffer.alloc(0),
  })),
  builder<M.ApiVersionsRequest, M.ApiVersionsResponse>(18, (_req, _v, errorCode) => ({ errorCode, apiKeys: [] })),
  builder<M.CreateTopicsRequest, M.CreateTopicsResponse>(19, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({ name: t.name, errorCode })),
  })),
  builder<M.DeleteTopicsRequest, M.DeleteTopicsResponse>(20, (req, v, errorCode) => ({
    responses:
      v >= 6
        ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId, errorCode }))
        : req.topicNames.map((name) => ({ name, errorCode })),
  })),
  builder<M.DeleteRecordsRequest, M.DeleteRecordsResponse>(21, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })),
    })),
  })),
  builder<M.InitProducerIdRequest, M.InitProducerIdResponse>(22, (_req, _v, errorCode) => ({
    errorCode,
    producerId: -1n,
    producerEpoch: -1,
  })),
  builder<M.AddPartitionsToTxnRequest, M.AddPartitionsToTxnResponse>(24, (req, v, errorCode) => {
    const topics = (ts: readonly { name: string; partitions: readonly number[] }[]) =>
      ts.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode })) }));
    if (v >= 4) return { errorCode, resultsByTransaction: req.transactions.map((t) => ({ transactionalId: t.transactionalId, topicResults: topics(t.topics) })) };
    return { resultsByTopicV3AndBelow: topics(req.v3AndBelowTopics) };
  }),
  builder<M.AddOffsetsToTxnRequest, M.AddOffsetsToTxnResponse>(25, (_req, _v, errorCode) => ({ errorCode })),
  builder<M.EndTxnRequest, M.EndTxnResponse>(26, (_req, _v, errorCode) => ({ errorCode })),
  builder<M.WriteTxnMarkersRequest, M.WriteTxnMarkersResponse>(27, (req, _v, errorCode) => ({
    markers: req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })),
    })),
  })),
  builder<M.TxnOffsetCommitRequest, M.TxnOffsetCommitResponse>(28, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  })),
  builder<M.DescribeTransactionsRequest, M.DescribeTransactionsResponse>(65, (req, _v, errorCode) => ({
    transactionStates: req.transactionalIds.map((transactionalId) => ({ errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] })),
  })),
  builder<M.ListTransactionsRequest, M.ListTransactionsResponse>(66, (_req, _v, errorCode) => ({ errorCode, unknownStateFilters: [], transactionStates: [] })),
  builder<M.DescribeAclsRequest, M.DescribeAclsResponse>(29, (_req, _v, errorCode) => ({ errorCode, errorMessage: null, resources: [] })),
  builder<M.CreateAclsRequest, M.CreateAclsResponse>(30, (req, _v, errorCode) => ({
    results: req.creations.map(() => ({ errorCode, errorMessage: null })),
  })),
  builder<M.DeleteAclsRequest, M.DeleteAclsResponse>(31, (req, _v, errorCode) => ({
    filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })),
  })),
  builder<M.DescribeConfigsRequest, M.DescribeConfigsResponse>(32, (req, _v, errorCode) => ({
    results: req.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
  })),
  builder<M.CreatePartitionsRequest, M.CreatePartitionsResponse>(37, (req, _v, errorCode) => ({
    results: req.topics.map((t) => ({ name: t.name, errorCode })),
  })),
  builder<M.DeleteGroupsRequest, M.DeleteGroupsResponse>(42, (req, _v, errorCode) => ({
    results: req.groupsNames.map((groupId) => ({ groupId, errorCode })),
  })),
  builder<M.OffsetForLeaderEpochRequest, M.OffsetForLeaderEpochResponse>(23, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1n })),
    })),
  })),
  builder<M.AlterConfigsRequest, M.AlterConfigsResponse>(33, (req, _v, errorCode) => ({
    responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })),
  })),
  // Below v3 there is no top-level code; a log-dir result carries it (as a failed directory would).
  builder<M.DescribeLogDirsRequest, M.DescribeLogDirsResponse>(35, (_req, v, errorCode) =>
    v >= 3 ? { errorCode, results: [] } : { results: [{ errorCode, logDir: '', topics: [] }] },
  ),
  builder<M.ElectLeadersRequest, M.ElectLeadersResponse>(43, (req, v, errorCode) => ({
    ...(v >= 1 ? { errorCode } : {}),
    replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })),
    })),
  })),
  builder<M.IncrementalAlterConfigsRequest, M.IncrementalAlterConfigsResponse>(44, (req, _v, errorCode) => ({
    responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })),
  })),
  builder<M.AlterPartitionReassignmentsRequest, M.AlterPartitionReassignmentsResponse>(45, (req, _v, errorCode) => ({
    errorCode,
    errorMessage: null,
    responses: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })),
    })),
  })),
  builder<M.ListPartitionReassignmentsRequest, M.ListPartitionReassignmentsResponse>(46, (_req, _v, errorCode) => ({ errorCode, errorMessage: null, topics: [] })),
  builder<M.DescribeClientQuotasRequest, M.DescribeClientQuotasResponse>(48, (_req, _v, errorCode) => ({ errorCode, errorMessage: null, entries: null })),
  builder<M.AlterClientQuotasRequest, M.AlterClientQuotasResponse>(49, (req, _v, errorCode) => ({
    entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })) })),
  })),
  builder<M.DescribeUserScramCredentialsRequest, M.DescribeUserScramCredentialsResponse>(50, (req, _v, errorCode) => ({
    errorCode,
    errorMessage: null,
    results: (req.users ?? []).map((u) => ({ user: u.name, errorCode, errorMessage: null, credentialInfos: [] })),
  })),
  builder<M.AlterUserScramCredentialsRequest, M.AlterUserScramCredentialsResponse>(51, (req, _v, errorCode) => ({
    results: [...new Set([...req.deletions, ...req.upsertions].map((x) => x.name))].map((user) => ({ user, errorCode, errorMessage: null })),
  })),
  builder<M.DescribeClusterRequest, M.DescribeClusterResponse>(60, (req, v, errorCode) => ({
    errorCode,
    errorMessage: null,
    ...(v >= 1 ? { endpointType: req.endpointType } : {}),
    clusterId: '',
    controllerId: -1,
    brokers: [],
  })),
  builder<M.OffsetDeleteRequest, M.OffsetDeleteResponse>(47, (_req, _v, errorCode) => ({ errorCode, topics: [] })),
  builder<M.DescribeProducersRequest, M.DescribeProducersResponse>(61, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })),
    })),
  })),
  builder<M.ConsumerGroupHeartbeatRequest, M.ConsumerGroupHeartbeatResponse>(68, (_req, _v, errorCode) => ({
    errorCode,
    memberId: null,
    memberEpoch: -1,
    heartbeatIntervalMs: 0,
    assignment: null,
  })),
  builder<M.ConsumerGroupDescribeRequest, M.ConsumerGroupDescribeResponse>(69, (req, _v, errorCode) => ({
    groups: req.groupIds.map((groupId) => ({ groupId, errorCode, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] })),
  })),
  builder<M.DescribeTopicPartitionsRequest, M.DescribeTopicPartitionsResponse>(75, (req, _v, errorCode) => ({
    topics: req.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [] })),
    nextCursor: null,
  })),
]);

/** Whether a whole-request error response exists for this API key. */
export function hasErrorResponse(apiKey: number): boolean {
  return ERROR_RESPONSES.has(apiKey);
}

/** The response to `request` (at `version`) that answers everything in it with `errorCode`. */
export function errorResponse(apiKey: number, request: unknown, version: number, errorCode: number): unknown {
  const build = ERROR_RESPONSES.get(apiKey);
  if (build === undefined) throw new Error(`no error response for API key ${apiKey}`);
  return build(request, version, errorCode);
}
