// DescribeCluster, ElectLeaders, AlterPartitionReassignments and
// ListPartitionReassignments at the protocol level over real TCP, on a cluster of
// three nodes; kafkajs's reassignment calls on the same cluster.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type RunningCluster } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { DescribeClusterApi } from '../../protocol/messages/60-describe-cluster.js';
import { ElectLeadersApi } from '../../protocol/messages/43-elect-leaders.js';
import { AlterPartitionReassignmentsApi } from '../../protocol/messages/45-alter-partition-reassignments.js';
import { ListPartitionReassignmentsApi } from '../../protocol/messages/46-list-partition-reassignments.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { CLUSTER_OPERATIONS, NOT_REQUESTED } from '../acl-operations.js';

let cluster: RunningCluster;
let client: RawClient;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3 });
  const n = cluster.nodes[1]!;
  client = await RawClient.connect(n.host, n.port);
  const res = await client.request(CreateTopicsApi, 7, { topics: [{ name: 'ca', numPartitions: 3, replicationFactor: 1, configs: [] }] });
  expect(res.topics[0].errorCode).toBe(0);
});
afterAll(async () => {
  client.close();
  await cluster.close();
});

describe('DescribeCluster', () => {
  it('lists the live nodes, the controller and the cluster id at v0 and v1', async () => {
    for (const v of [0, 1]) {
      const res = await client.request(DescribeClusterApi, v, { includeClusterAuthorizedOperations: v === 1, endpointType: 1 });
      expect(res).toMatchObject({ errorCode: 0, errorMessage: null, clusterId: cluster.clusterId, controllerId: 0, endpointType: 1 });
      expect(res.brokers).toEqual(cluster.nodes.map((n) => ({ brokerId: n.nodeId, host: n.host, port: n.port, rack: null })));
      expect(res.clusterAuthorizedOperations).toBe(v === 1 ? CLUSTER_OPERATIONS : NOT_REQUESTED);
    }
  });

  it('a stopped node is not listed, and the controller moves to the lowest live id', async () => {
    await cluster.stopNode(0);
    try {
      const res = await client.request(DescribeClusterApi, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      expect(res.brokers.map((b) => b.brokerId)).toEqual([1, 2]);
      expect(res.controllerId).toBe(1);
    } finally {
      await cluster.startNode(0);
    }
  });

  it('answers a CONTROLLER or unknown endpoint type with Kafka\'s errors', async () => {
    const ctl = await client.request(DescribeClusterApi, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    expect(ctl).toMatchObject({ errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE, errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER', brokers: [] });
    const other = await client.request(DescribeClusterApi, 1, { includeClusterAuthorizedOperations: false, endpointType: 9 });
    expect(other).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Unsupported endpoint type 9' });
  });
});

describe('ElectLeaders', () => {
  it('a partition led by its one replica needs no election; unknown topics and partitions are named', async () => {
    for (const v of [0, 1, 2]) {
      const res = await client.request(ElectLeadersApi, v, {
        electionType: 0,
        timeoutMs: 1000,
        topicPartitions: [{ topic: 'ca', partitions: [0, 7] }, { topic: 'missing', partitions: [0] }],
      });
      expect(res.replicaElectionResults).toEqual([
        { topic: 'ca', partitionResult: [
          { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null },
          { partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such partition as ca-7' },
        ] },
        { topic: 'missing', partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'No such topic as missing' }] },
      ]);
    }
  });

  it('all partitions (null) lists only those that needed an election; an unknown election type is INVALID_REQUEST', async () => {
    const all = await client.request(ElectLeadersApi, 2, { electionType: 1, timeoutMs: 1000, topicPartitions: null });
    expect(all).toMatchObject({ errorCode: 0, replicaElectionResults: [] });
    const bad = await client.request(ElectLeadersApi, 2, { electionType: 5, timeoutMs: 1000, topicPartitions: null });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('partition reassignments', () => {
  it('checks the replica list as Kafka does; cancelling is NO_REASSIGNMENT_IN_PROGRESS', async () => {
    const res = await client.request(AlterPartitionReassignmentsApi, 0, {
      timeoutMs: 1000,
      topics: [
        { name: 'ca', partitions: [
          { partitionIndex: 0, replicas: [] },
          { partitionIndex: 1, replicas: [9] },
          { partitionIndex: 2, replicas: [1, 1] },
          { partitionIndex: 0, replicas: [1, 2] },
          { partitionIndex: 1, replicas: null },
          { partitionIndex: 5, replicas: [1] },
        ] },
        { name: 'missing', partitions: [{ partitionIndex: 0, replicas: [1] }] },
      ],
    });
    expect(res.errorCode).toBe(0);
    expect(res.responses.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.errorMessage])])).toEqual([
      ['ca', [
        [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
        [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 9, but no such broker is registered.'],
        [2, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.'],
        [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, expect.stringContaining('one replica per partition')],
        [1, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, expect.any(String)],
        [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
      ]],
      ['missing', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.']]],
    ]);
  });

  it('kafkajs moves a partition to another node; the move completes at once, so none is listed as ongoing', async () => {
    const kafka = new Kafka({ brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const before = cluster.cluster.topic('ca')!.partitions[0]!;
      const target = (before.leaderId + 1) % 3;
      const epoch = before.leaderEpoch;
      await admin.alterPartitionReassignments({ topics: [{ topic: 'ca', partitionAssignment: [{ partition: 0, replicas: [target] }] }] });
      const after = cluster.cluster.topic('ca')!.partitions[0]!;
      expect(after.leaderId).toBe(target);
      expect(after.leaderEpoch).toBe(epoch + 1);
      const meta = await admin.fetchTopicMetadata({ topics: ['ca'] });
      expect(meta.topics[0].partitions.find((p) => p.partitionId === 0)).toMatchObject({ leader: target, replicas: [target] });
      expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
      expect(await admin.listPartitionReassignments({ topics: [{ topic: 'ca', partitions: [0, 1] }] })).toEqual({ topics: [] });
    } finally {
      await admin.disconnect();
    }
  });

  it('ListPartitionReassignments at the protocol level: no topics, named or not', async () => {
    const res = await client.request(ListPartitionReassignmentsApi, 0, { timeoutMs: 1000, topics: [{ name: 'missing', partitionIndexes: [0] }] });
    expect(res).toMatchObject({ errorCode: 0, errorMessage: null, topics: [] });
  });
});
