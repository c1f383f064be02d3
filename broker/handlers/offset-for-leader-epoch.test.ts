// OffsetForLeaderEpoch over real TCP on a cluster whose leaders move: where each
// epoch ended, Kafka's fencing errors, and the same answers after a restart
// (the epochs then come from the batch headers on disk).
import { describe, it, expect, afterEach } from 'vitest';
import { startCluster, type RunningCluster } from '../broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { OffsetForLeaderEpochApi } from '../../protocol/messages/23-offset-for-leader-epoch.js';
import { CreateTopicsApi } from '../../protocol/messages/19-create-topics.js';
import { ProduceApi } from '../../protocol/messages/00-produce.js';
import { buildRecordBatchSync } from '../../protocol/record-batch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { MemoryFileSystem } from '../../storage/fs-memory.js';

const clients: RawClient[] = [];
let running: RunningCluster | undefined;
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await running?.close();
  running = undefined;
});

async function clientOf(cluster: RunningCluster, nodeId: number): Promise<RawClient> {
  const n = cluster.nodes.find((x) => x.nodeId === nodeId)!;
  const c = await RawClient.connect(n.host, n.port);
  clients.push(c);
  return c;
}

async function produce(cluster: RunningCluster, count: number): Promise<void> {
  const leader = cluster.cluster.topic('epochs')!.partitions[0]!.leaderId;
  const c = await clientOf(cluster, leader);
  for (let i = 0; i < count; i++) {
    const records = buildRecordBatchSync({ records: [{ key: null, value: Buffer.from(`r${i}`), timestamp: Date.now() }] });
    const res = await c.request(ProduceApi, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'epochs', partitionData: [{ index: 0, records }] }] });
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(0);
  }
}

/** Partition 0: epoch 0 writes 0-2 on node 0, epoch 1 writes 3-4 on node 1, epoch 2 (node 0) writes nothing. */
async function threeEpochs(cluster: RunningCluster): Promise<void> {
  const c = await clientOf(cluster, 0);
  const res = await c.request(CreateTopicsApi, 7, {
    topics: [{ name: 'epochs', numPartitions: -1, replicationFactor: -1, configs: [], assignments: [{ partitionIndex: 0, brokerIds: [0] }] }],
  });
  expect(res.topics[0].errorCode).toBe(0);
  await produce(cluster, 3);
  await cluster.moveLeader('epochs', 0, 1);
  await produce(cluster, 2);
  await cluster.moveLeader('epochs', 0, 0);
}

async function ask(c: RawClient, leaderEpoch: number, opts: { currentLeaderEpoch?: number; version?: number; topic?: string; partition?: number } = {}) {
  const res = await c.request(OffsetForLeaderEpochApi, opts.version ?? 4, {
    replicaId: -1,
    topics: [{ topic: opts.topic ?? 'epochs', partitions: [{ partition: opts.partition ?? 0, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, leaderEpoch }] }],
  });
  const p = res.topics[0].partitions[0];
  return [p.errorCode, p.leaderEpoch, Number(p.endOffset)];
}

describe('OffsetForLeaderEpoch', () => {
  it('says where each epoch ended, on the leader', async () => {
    running = await startCluster({ nodes: 2 });
    await threeEpochs(running);
    const leader = await clientOf(running, 0);
    expect(await ask(leader, 0)).toEqual([0, 0, 3]);
    expect(await ask(leader, 1)).toEqual([0, 1, 5]);
    expect(await ask(leader, 2, { currentLeaderEpoch: 2 })).toEqual([0, 2, 5]);
    expect(await ask(leader, 3)).toEqual([0, -1, -1]);
    for (const v of [1, 2, 3]) expect(await ask(leader, 0, { version: v })).toEqual([0, 0, 3]);
    // v0 answers the end offset alone
    expect(await ask(leader, 0, { version: 0 })).toEqual([0, -1, 3]);
  });

  it('answers Kafka\'s errors: a fenced or unknown current epoch, another node, an unknown partition', async () => {
    running = await startCluster({ nodes: 2 });
    await threeEpochs(running);
    const leader = await clientOf(running, 0);
    const other = await clientOf(running, 1);
    expect(await ask(leader, 0, { currentLeaderEpoch: 1 })).toEqual([ErrorCode.FENCED_LEADER_EPOCH, -1, -1]);
    expect(await ask(leader, 0, { currentLeaderEpoch: 7 })).toEqual([ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1]);
    expect(await ask(other, 0)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1]);
    expect(await ask(leader, 0, { partition: 4 })).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]);
    expect(await ask(leader, 0, { topic: 'missing' })).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]);
  });

  it('gives the same answers after a restart, from the batch headers on disk', async () => {
    const fs = new MemoryFileSystem();
    running = await startCluster({ nodes: 2, fs, dataDir: '/data' });
    await threeEpochs(running);
    for (const c of clients.splice(0)) c.close();
    await running.close();
    running = await startCluster({ nodes: 2, fs, dataDir: '/data' });
    const leader = await clientOf(running, running.cluster.topic('epochs')!.partitions[0]!.leaderId);
    expect(await ask(leader, 0)).toEqual([0, 0, 3]);
    expect(await ask(leader, 1)).toEqual([0, 1, 5]);
  });
});
