// Several nodes in one process (issue 8) with unmodified clients over real TCP:
// a kafkajs producer retries through a moved leader, a kafkajs consumer group
// carries on with its committed offsets when its coordinator's node stops, and
// @platformatic/kafka produces to and consumes from partitions led by every node.
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startCluster, type RunningCluster } from '../../broker/broker.js';
import { RawClient } from '../../test/support/raw-client.js';
import { Condition } from '../support/groups.js';
import { MetadataApi } from '../../protocol/messages/03-metadata.js';
import { offsetsPartitionFor } from '../../broker/offsets/records.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function threeNodes(): Promise<RunningCluster> {
  const cluster = await startCluster({ nodes: 3, config: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' } });
  cleanups.push(() => cluster.close());
  return cluster;
}

async function metadataEpoch(cluster: RunningCluster, topic: string, partition: number): Promise<{ leaderId: number; leaderEpoch: number }> {
  const n = cluster.cluster.nodes[0];
  const c = await RawClient.connect(n.host, n.port);
  try {
    const md = await c.request(MetadataApi, 12, { topics: [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const p = md.topics[0].partitions.find((x) => x.partitionIndex === partition)!;
    return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch };
  } finally {
    c.close();
  }
}

/** A kafkajs client of the cluster (patient retries), a topic created through its admin, and a connected producer. */
async function kafkajsOn(started: Promise<RunningCluster>, clientId: string, topic: string, numPartitions: number) {
  const cluster = await started;
  const kafka = new Kafka({ clientId, brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, numPartitions }] });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  return { cluster, kafka, producer };
}

describe('kafkajs on a 3-node cluster', () => {
  it('a producer retries through a moved leader: offsets stay contiguous, nothing is duplicated, the epoch grows by one', async () => {
    const { cluster, kafka, producer } = await kafkajsOn(threeNodes(), 'moved-leader', 'orders', 1);

    const before = await metadataEpoch(cluster, 'orders', 0);
    const offsets: string[] = [];
    for (let i = 0; i < 5; i++) offsets.push((await producer.send({ topic: 'orders', acks: -1, messages: [{ value: `a${i}` }] }))[0].baseOffset!);
    const target = cluster.nodes.map((n) => n.nodeId).find((id) => id !== before.leaderId)!;
    await cluster.moveLeader('orders', 0, target);
    for (let i = 0; i < 5; i++) offsets.push((await producer.send({ topic: 'orders', acks: -1, messages: [{ value: `b${i}` }] }))[0].baseOffset!);

    expect(offsets).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(await metadataEpoch(cluster, 'orders', 0)).toEqual({ leaderId: target, leaderEpoch: before.leaderEpoch + 1 });
    const log = cluster.logs.log('orders', 0)!;
    expect(log.logEndOffset).toBe(10);

    // Read back through the new leader: every value once, in order.
    const consumer = kafka.consumer({ groupId: 'moved-leader-reader', maxWaitTimeInMs: 100 });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen: string[] = [];
    const cond = new Condition();
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        cond.changed();
      },
    });
    await cond.until(() => seen.length >= 10, 'ten records');
    expect(seen).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it("a consumer group whose coordinator's node stops carries on with its committed offsets", async () => {
    const { cluster, kafka, producer } = await kafkajsOn(threeNodes(), 'coordinator-stops', 'events', 3);
    const groupId = 'survivors';

    const consumer = kafka.consumer({ groupId, sessionTimeout: 3_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
    cleanups.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    const seen: string[] = [];
    const cond = new Condition();
    await consumer.run({
      autoCommitInterval: 50,
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        cond.changed();
      },
    });
    await cluster.waitForGroupState(groupId, 'Stable', { members: 1 });
    const first = Array.from({ length: 30 }, (_, i) => `first-${i}`);
    await producer.send({ topic: 'events', messages: first.map((value, i) => ({ value, partition: i % 3 })) });
    await cond.until(() => seen.length >= 30, 'the first 30 records');
    // Every partition's commit reached its end before the node goes away.
    const committed = () => [0, 1, 2].reduce((n, p) => n + Number(cluster.groups.state.offsets.group(groupId)?.get('events')?.get(p)?.offset ?? 0n), 0);
    const timer = setInterval(() => cond.changed(), 20);
    cleanups.push(async () => clearInterval(timer));
    await cond.until(() => committed() === 30, 'offsets 10, 10, 10 committed');

    const offsets = cluster.cluster.topic('__consumer_offsets')!;
    const coordinator = offsets.partitions[offsetsPartitionFor(groupId, offsets.partitions.length)].leaderId;
    await cluster.stopNode(coordinator);
    expect(cluster.cluster.topic('__consumer_offsets')!.partitions[offsetsPartitionFor(groupId, offsets.partitions.length)].leaderId).not.toBe(coordinator);

    const second = Array.from({ length: 30 }, (_, i) => `second-${i}`);
    await producer.send({ topic: 'events', messages: second.map((value, i) => ({ value, partition: i % 3 })) });
    await cond.until(() => second.every((v) => seen.includes(v)), 'the second 30 records after the coordinator stopped', 30_000);
    // Nothing of the first round came again: the group resumed from what it had committed.
    expect(seen.filter((v) => v.startsWith('first-')).sort()).toEqual([...first].sort());
    await cond.until(() => committed() === 60, 'offsets 20, 20, 20 committed on the new coordinator', 30_000);
  });
});

describe('@platformatic/kafka on a 3-node cluster', () => {
  it('produces to and consumes from partitions led by every node', async () => {
    const cluster = await threeNodes();
    const bootstrapBrokers = cluster.bootstrap.split(',');
    const producer = new Producer({ clientId: 'pl-cluster', bootstrapBrokers, serializers: stringSerializers, autocreateTopics: true });
    cleanups.push(() => producer.close());
    const messages = Array.from({ length: 30 }, (_, i) => ({ topic: 'spread-pl', partition: i % 3, key: `k${i}`, value: `v${i}` }));
    await cluster.cluster.createTopic(cluster.cluster.newTopic('spread-pl', 3));
    expect(new Set(cluster.cluster.topic('spread-pl')!.partitions.map((p) => p.leaderId))).toEqual(new Set([0, 1, 2]));
    await producer.send({ messages });
    for (let p = 0; p < 3; p++) expect(cluster.logs.log('spread-pl', p)!.logEndOffset).toBe(10);

    const consumer = new Consumer({ groupId: 'pl-cluster-group', clientId: 'pl-cluster-consumer', bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 100 });
    cleanups.push(async () => {
      await consumer.close(true);
    });
    const stream = await consumer.consume({ topics: ['spread-pl'], mode: 'earliest' });
    cleanups.push(async () => {
      await stream.close();
    });
    const seen = new Map<number, string[]>();
    const cond = new Condition();
    stream.on('data', (m) => {
      seen.set(m.partition, [...(seen.get(m.partition) ?? []), m.value]);
      cond.changed();
    });
    await cond.until(() => [0, 1, 2].every((p) => (seen.get(p)?.length ?? 0) >= 10), 'ten records from each partition');
    for (let p = 0; p < 3; p++) expect(seen.get(p)).toEqual(messages.filter((m) => m.partition === p).map((m) => m.value));
  });
});
