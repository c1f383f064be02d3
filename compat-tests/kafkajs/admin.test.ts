// kafkajs admin against the broker over real TCP: topics are created, listed,
// described and deleted as Apache Kafka would answer.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';

describe('kafkajs admin', () => {
  let broker: TestBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await testBroker();
    const kafka = new Kafka({ clientId: 'compat-admin', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  it('creates, lists, describes and deletes topics', async () => {
    const a = uniqueTopic('admin-a');
    const b = uniqueTopic('admin-b');
    expect(await admin.createTopics({ topics: [{ topic: a, numPartitions: 3 }, { topic: b }] })).toBe(true);
    const listed = await admin.listTopics();
    expect(listed).toEqual(expect.arrayContaining([a, b]));

    const meta = await admin.fetchTopicMetadata({ topics: [a, b] });
    const byName = new Map(meta.topics.map((t) => [t.name, t]));
    expect(byName.get(a)?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(byName.get(b)?.partitions).toHaveLength(1);
    for (const p of byName.get(a)!.partitions) {
      expect(p.partitionErrorCode).toBe(0);
      expect(p.replicas).toEqual([p.leader]);
      expect(p.isr).toEqual([p.leader]);
    }

    await admin.deleteTopics({ topics: [a] });
    const after = await admin.listTopics();
    expect(after).toContain(b);
    expect(after).not.toContain(a);
  });

  it('refuses an existing topic, a bad name and a replication factor above the broker count', async () => {
    const t = uniqueTopic('admin-dup');
    expect(await admin.createTopics({ topics: [{ topic: t }] })).toBe(true);
    // kafkajs reports TOPIC_ALREADY_EXISTS as "not created" rather than an error.
    expect(await admin.createTopics({ topics: [{ topic: t }] })).toBe(false);
    await expect(admin.createTopics({ topics: [{ topic: 'bad/name' }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_TOPIC_EXCEPTION' })],
    });
    await expect(admin.createTopics({ topics: [{ topic: uniqueTopic('rf'), replicationFactor: 3 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
  });

  it('deleting an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    // UNKNOWN_TOPIC_OR_PARTITION is retriable, so kafkajs retries and then wraps it.
    await expect(admin.deleteTopics({ topics: [uniqueTopic('missing')] })).rejects.toMatchObject({
      cause: expect.objectContaining({ type: 'UNKNOWN_TOPIC_OR_PARTITION' }),
    });
  });

  it('describes the cluster: one node that is also the controller', async () => {
    const c = await admin.describeCluster();
    expect(c.brokers).toHaveLength(1);
    expect(c.controller).toBe(c.brokers[0].nodeId);
    expect(c.brokers[0].port).toBe(broker.port);
    expect(typeof c.clusterId).toBe('string');
  });
});

describe('kafkajs admin describeConfigs', () => {
  it('describes topic and broker configs with their sources', async () => {
    const broker = await testBroker();
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = uniqueTopic('configs');
      await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
      const res = await admin.describeConfigs({
        includeSynonyms: true,
        resources: [
          { type: 2, name: topic, configNames: ['retention.ms', 'cleanup.policy'] },
          { type: 4, name: '0', configNames: ['num.partitions'] },
        ],
      });
      const topicConfigs = new Map(res.resources[0].configEntries.map((c) => [c.configName, c]));
      expect(topicConfigs.get('retention.ms')).toMatchObject({ configValue: '60000', isDefault: false, configSource: 1 });
      expect(topicConfigs.get('cleanup.policy')).toMatchObject({ configValue: 'delete', configSource: 5 });
      expect(res.resources[1].configEntries).toEqual([expect.objectContaining({ configName: 'num.partitions', configValue: '1', readOnly: true })]);
    } finally {
      await admin.disconnect();
      await broker.close();
    }
  });
});
