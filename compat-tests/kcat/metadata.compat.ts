// kcat -L (librdkafka's metadata path, flexible ApiVersions v3 included).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';
import { kcat, kcatVersion } from '../support/kcat.js';
import { Kafka, logLevel } from 'kafkajs';

describe.skipIf(!kcatVersion())('kcat metadata', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await testBroker();
  });
  afterAll(() => broker?.close());

  it('lists the broker and the topics', async () => {
    const topic = uniqueTopic('kcat-l');
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();

    const res = await kcat(['-L', '-J', '-b', broker.bootstrap, '-m', '10']);
    expect(res.code, res.stderr).toBe(0);
    const meta = JSON.parse(res.stdout);
    expect(meta.brokers).toEqual([{ id: expect.any(Number), name: `${broker.host}:${broker.port}` }]);
    expect(meta.controllerid).toBe(meta.brokers[0].id);
    const t = meta.topics.find((x: { topic: string }) => x.topic === topic);
    expect(t.partitions.map((p: { partition: number }) => p.partition).sort()).toEqual([0, 1, 2]);
    for (const p of t.partitions) expect(p.leader).toBe(meta.brokers[0].id);
  });
});
