// Several nodes in one process (issue 8), at the protocol level over real TCP:
// each node answers as the node it is. Partition APIs on a node that does not
// lead the partition get NOT_LEADER_OR_FOLLOWER (with KIP-951's current leader
// and its endpoint where the version has them), group APIs on a node that does
// not coordinate the group get NOT_COORDINATOR, FindCoordinator names the leader
// of the group's __consumer_offsets partition, and waiting requests end when
// the leadership moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, startCluster, type RunningCluster } from '../../broker/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { FetchApi } from '../../protocol/messages/01-fetch.js';
import { ListOffsetsApi } from '../../protocol/messages/02-list-offsets.js';
import { DeleteRecordsApi } from '../../protocol/messages/21-delete-records.js';
import { FindCoordinatorApi } from '../../protocol/messages/10-find-coordinator.js';
import { JoinGroupApi } from '../../protocol/messages/11-join-group.js';
import { HeartbeatApi } from '../../protocol/messages/12-heartbeat.js';
import { OffsetCommitApi } from '../../protocol/messages/08-offset-commit.js';
import { OffsetFetchApi } from '../../protocol/messages/09-offset-fetch.js';
import { ListGroupsApi } from '../../protocol/messages/16-list-groups.js';
import { DescribeGroupsApi } from '../../protocol/messages/15-describe-groups.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { offsetsPartitionFor } from '../../broker/offsets/records.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';

let cluster: RunningCluster;
const clients = new Map<number, RawClient>();

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, config: { 'group.initial.rebalance.delay.ms': '0' } });
  for (const n of cluster.nodes) clients.set(n.nodeId, await RawClient.connect(n.host, n.port));
});

afterAll(async () => {
  for (const c of clients.values()) c.close();
  await cluster?.close();
});

const client = (nodeId: number) => clients.get(nodeId)!;
const batch = (value: string) => buildRecordBatchSync({ records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });

async function createTopic(name: string, partitions: number): Promise<void> {
  const res = await client(0).request(CreateTopicsApi, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1 }] });
  expect(res.topics[0].errorCode).toBe(ErrorCode.NONE);
}

/** The leader of a partition and a node that does not lead it. */
function leaderAndOther(topic: string, partition: number): { leader: number; other: number } {
  const leader = cluster.cluster.topic(topic)!.partitions[partition].leaderId;
  return { leader, other: cluster.nodes.map((n) => n.nodeId).find((id) => id !== leader)! };
}

function produceTo(nodeId: number, version: number, topic: string, partition: number, acks = -1) {
  return client(nodeId).request(ProduceApi, version, {
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch(`${topic}-${partition}`) }] }],
  });
}

function fetchFrom(nodeId: number, version: number, topic: string, partition: number, maxWaitMs = 0) {
  const t = cluster.cluster.topic(topic)!;
  return client(nodeId).request(FetchApi, version, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: t.id, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20, logStartOffset: -1n, currentLeaderEpoch: -1 }] }],
  });
}

describe('several nodes in one process', () => {
  it('Metadata lists every node, the same controller on each, and leaders round-robin over the nodes', async () => {
    await createTopic('spread', 6);
    for (const n of cluster.nodes) {
      const md = await client(n.nodeId).request(MetadataApi, 12, { topics: [{ name: 'spread', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(md.brokers.map((b) => [b.nodeId, b.port]).sort()).toEqual(cluster.nodes.map((x) => [x.nodeId, x.port]).sort());
      expect(md.controllerId).toBe(cluster.nodes[0].nodeId);
      expect(md.topics[0].partitions.map((p) => p.leaderId)).toEqual([0, 1, 2, 0, 1, 2]);
    }
    expect(cluster.bootstrap.split(',')).toHaveLength(3);
  });

  it('Produce, Fetch, ListOffsets and DeleteRecords on a node that does not lead answer NOT_LEADER_OR_FOLLOWER', async () => {
    await createTopic('led', 3);
    const { leader, other } = leaderAndOther('led', 1);
    const epoch = cluster.cluster.topic('led')!.partitions[1].leaderEpoch;

    const v9 = await produceTo(other, 9, 'led', 1);
    expect(v9.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const v11 = await produceTo(other, 11, 'led', 1);
    expect(v11.responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader, leaderEpoch: epoch } });
    const leaderNode = cluster.nodes.find((n) => n.nodeId === leader)!;
    expect(v11.nodeEndpoints).toEqual([{ nodeId: leader, host: leaderNode.host, port: leaderNode.port, rack: null }]);
    expect((await produceTo(leader, 11, 'led', 1)).responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });

    const f11 = await fetchFrom(other, 11, 'led', 1);
    expect(f11.responses[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const f16 = await fetchFrom(other, 16, 'led', 1);
    expect(f16.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: leader, leaderEpoch: epoch } });
    expect(f16.nodeEndpoints.map((e) => e.nodeId)).toEqual([leader]);
    expect((await fetchFrom(leader, 16, 'led', 1)).responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 1n });

    const lo = await client(other).request(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'led', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    expect(lo.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const dr = await client(other).request(DeleteRecordsApi, 2, { topics: [{ name: 'led', partitions: [{ partitionIndex: 1, offset: -1n }] }], timeoutMs: 1000 });
    expect(dr.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('moving a leader bumps its epoch, moves who serves it, and ends a parked fetch on the old leader at once', async () => {
    await createTopic('moving', 1);
    const { leader, other } = leaderAndOther('moving', 0);
    const before = cluster.cluster.topic('moving')!.partitions[0].leaderEpoch;
    const parked = fetchFrom(leader, 16, 'moving', 0, 20_000);
    await cluster.moveLeader('moving', 0, other);
    const answer = await parked;
    expect(answer.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: other, leaderEpoch: before + 1 } });
    expect((await produceTo(leader, 11, 'moving', 0)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await produceTo(other, 11, 'moving', 0)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    const md = await client(leader).request(MetadataApi, 12, { topics: [{ name: 'moving', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.topics[0].partitions[0]).toMatchObject({ leaderId: other, leaderEpoch: before + 1 });
  });

  it('FindCoordinator names the leader of the group\'s __consumer_offsets partition; group APIs elsewhere get NOT_COORDINATOR', async () => {
    const groupId = 'sharded-group';
    await createTopic('g-topic', 1);
    const answers = await Promise.all([...clients.keys()].map((id) => client(id).request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [groupId] })));
    const offsets = cluster.cluster.topic('__consumer_offsets')!;
    const coordinator = offsets.partitions[offsetsPartitionFor(groupId, offsets.partitions.length)].leaderId;
    for (const a of answers) expect(a.coordinators[0]).toMatchObject({ key: groupId, errorCode: ErrorCode.NONE, nodeId: coordinator });
    const other = cluster.nodes.map((n) => n.nodeId).find((id) => id !== coordinator)!;

    const join = { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null };
    expect((await client(other).request(JoinGroupApi, 9, join)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await client(other).request(HeartbeatApi, 4, { groupId, generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const commit = await client(other).request(OffsetCommitApi, 8, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'g-topic', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const fetched = await client(other).request(OffsetFetchApi, 8, { groups: [{ groupId, topics: null }], requireStable: false });
    expect(fetched.groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await client(other).request(DescribeGroupsApi, 5, { groups: [groupId], includeAuthorizedOperations: false })).groups[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    // On the coordinator the same commit works, and only it lists the group.
    const ok = await client(coordinator).request(OffsetCommitApi, 8, { ...commit, groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'g-topic', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(ok.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
    expect((await client(coordinator).request(ListGroupsApi, 5, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId)).toContain(groupId);
    expect((await client(other).request(ListGroupsApi, 5, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId)).not.toContain(groupId);

    // Moving the group's partition moves the coordinator, with its committed offsets.
    const partition = offsetsPartitionFor(groupId, offsets.partitions.length);
    await cluster.moveLeader('__consumer_offsets', partition, other);
    const moved = await client(coordinator).request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [groupId] });
    expect(moved.coordinators[0].nodeId).toBe(other);
    expect((await client(coordinator).request(HeartbeatApi, 4, { groupId, generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    let after = await client(other).request(OffsetFetchApi, 8, { groups: [{ groupId, topics: null }], requireStable: false });
    while (after.groups[0].errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
      after = await client(other).request(OffsetFetchApi, 8, { groups: [{ groupId, topics: null }], requireStable: false });
    }
    expect(after.groups[0].topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 5n });
  });

  it('a JoinGroup parked on the coordinator is answered NOT_COORDINATOR when its partition moves away', async () => {
    const groupId = 'parked-group';
    const find = await client(0).request(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [groupId] });
    const coordinator = find.coordinators[0].nodeId;
    const other = cluster.nodes.map((n) => n.nodeId).find((id) => id !== coordinator)!;
    const join = (memberId: string) =>
      client(coordinator).request(JoinGroupApi, 3, { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
    const first = await join('');
    expect(first.errorCode).toBe(ErrorCode.NONE);
    // A second member makes the group wait for the first to rejoin: its JoinGroup parks.
    const parked = join('');
    const offsets = cluster.cluster.topic('__consumer_offsets')!;
    // The second JoinGroup has reached the coordinator once the group prepares a rebalance.
    while (cluster.groups.groupSnapshot(groupId)?.state !== 'PreparingRebalance') await new Promise((r) => setImmediate(r));
    await cluster.moveLeader('__consumer_offsets', offsetsPartitionFor(groupId, offsets.partitions.length), other);
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('FindCoordinator for a transactional id names the leader of its __transaction_state partition', async () => {
    const key = 'txn-a';
    const partitions = cluster.config.values['transaction.state.log.num.partitions'];
    const expected = cluster.cluster.leaderFor('__transaction_state', offsetsPartitionFor(key, partitions));
    const res = await client(2).request(FindCoordinatorApi, 4, { keyType: 1, coordinatorKeys: [key] });
    expect(res.coordinators[0]).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: expected });
  });

  it('a stopped node refuses connections, its partitions move with an epoch bump, and it serves again once started', async () => {
    await createTopic('survivor', 3);
    const before = cluster.cluster.topic('survivor')!.partitions.map((p) => ({ ...p }));
    const victim = 1;
    const port = cluster.nodes.find((n) => n.nodeId === victim)!.port;
    await cluster.stopNode(victim);
    await client(victim).closed;
    await expect(RawClient.connect('127.0.0.1', port)).rejects.toThrow();
    const after = cluster.cluster.topic('survivor')!.partitions;
    for (const [i, p] of after.entries()) {
      expect(p.leaderId).not.toBe(victim);
      expect(p.leaderEpoch).toBe(before[i].leaderId === victim ? before[i].leaderEpoch + 1 : before[i].leaderEpoch);
    }
    const md = await client(0).request(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.brokers.map((b) => b.nodeId).sort()).toEqual([0, 2]);
    expect(cluster.bootstrap.split(',')).toHaveLength(2);

    await cluster.startNode(victim);
    const again = await RawClient.connect('127.0.0.1', port);
    clients.set(victim, again);
    const md2 = await again.request(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md2.brokers.map((b) => b.nodeId).sort()).toEqual([0, 1, 2]);
  });
});

describe('a node with several listeners', () => {
  it('serves every PLAINTEXT listener and tells each client the addresses of the listener it came in on', async () => {
    const broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
      },
    });
    try {
      const endpoints = broker.cluster.nodes[0].endpoints;
      expect(endpoints.map((e) => e.listener)).toEqual(['PLAINTEXT', 'INTERNAL']);
      expect(endpoints[0].port).not.toBe(endpoints[1].port);
      for (const e of endpoints) {
        const c = await RawClient.connect(e.host, e.port);
        const md = await c.request(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        expect(md.brokers).toEqual([{ nodeId: 0, host: e.host, port: e.port, rack: null }]);
        c.close();
      }
    } finally {
      await broker.close();
    }
  });

  it('refuses a per-node SSL listener without a key store, with the reason', async () => {
    await expect(
      startCluster({ nodes: 1, listeners: ['SECURE://127.0.0.1:0'], config: { 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SECURE:SSL' } }),
    ).rejects.toThrow(/Listener SECURE uses SSL but has no key store/);
  });
});

describe('an acks=-1 produce waiting for durability', () => {
  it('is answered NOT_LEADER_OR_FOLLOWER as soon as its partition moves to another node', async () => {
    // Group commit answers acks=-1 only after an fsync; the fsyncs stall until released.
    let stalled = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const fs = new MemoryFileSystem({ syncDelay: () => (stalled ? gate : Promise.resolve()) });
    const two = await startCluster({ nodes: 2, fs, config: { 'log.flush.mode': 'group-commit' } });
    try {
      await two.cluster.createTopic(two.cluster.newTopic('durable', 1));
      const leader = two.cluster.topic('durable')!.partitions[0].leaderId;
      const node = two.nodes.find((n) => n.nodeId === leader)!;
      const c = await RawClient.connect(node.host, node.port);
      stalled = true;
      const waiting = c.request(ProduceApi, 11, { acks: -1, timeoutMs: 60_000, topicData: [{ name: 'durable', partitionData: [{ index: 0, records: batch('waits') }] }] });
      // The append is in once the log end moved; its fsync is what stalls.
      const log = two.logs.log('durable', 0)!;
      while (log.logEndOffset === 0) await new Promise((r) => setImmediate(r));
      // (Persisting the new leader syncs too, so the move completes only after the release.)
      const moved = two.moveLeader('durable', 0, two.nodes.find((n) => n.nodeId !== leader)!.nodeId);
      const answer = await waiting;
      expect(answer.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(log.highWatermark).toBe(0);
      stalled = false;
      release();
      await moved;
      c.close();
    } finally {
      stalled = false;
      release();
      await two.close();
    }
  });
});
