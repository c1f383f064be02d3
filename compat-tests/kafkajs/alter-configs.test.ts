// kafkajs admin calls that change configs and look up offsets by time, against
// the broker over real TCP, as Apache Kafka answers them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes, type Admin, type Producer } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';

describe('kafkajs admin alterConfigs', () => {
  let broker: TestBroker;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    broker = await testBroker();
    const kafka = new Kafka({ clientId: 'compat-alter', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } });
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
  });

  async function topicConfigs(topic: string, names: string[]) {
    const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }], includeSynonyms: false });
    return new Map(res.resources[0].configEntries.map((e) => [e.configName, e]));
  }

  it('alters topic configs and describeConfigs shows them as topic overrides', async () => {
    const t = uniqueTopic('alter');
    await admin.createTopics({ topics: [{ topic: t }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'compact,delete' }] }],
    });
    const after = await topicConfigs(t, ['retention.ms', 'cleanup.policy', 'segment.bytes']);
    expect(after.get('retention.ms')).toMatchObject({ configValue: '3600000', isDefault: false, configSource: 1 });
    expect(after.get('cleanup.policy')).toMatchObject({ configValue: 'compact,delete', configSource: 1 });
    expect(after.get('segment.bytes')).toMatchObject({ configValue: '1073741824', configSource: 5 });
  });

  it('validateOnly changes nothing', async () => {
    const t = uniqueTopic('alter-vo');
    await admin.createTopics({ topics: [{ topic: t }] });
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: t, configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    expect((await topicConfigs(t, ['retention.ms'])).get('retention.ms')).toMatchObject({ configValue: '604800000', configSource: 5 });
  });

  it('refuses an unknown config, a bad value and a missing topic with Kafka\'s errors', async () => {
    const t = uniqueTopic('alter-bad');
    await admin.createTopics({ topics: [{ topic: t }] });
    const alter = (name: string, entry: { name: string; value: string }) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name, configEntries: [entry] }] });
    await expect(alter(t, { name: 'retention.msec', value: '1' })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    await expect(alter(t, { name: 'max.message.bytes', value: 'big' })).rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    await expect(alter(uniqueTopic('missing'), { name: 'retention.ms', value: '1' })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('fetchTopicOffsetsByTimestamp finds the first offset at or after a time', async () => {
    const t = uniqueTopic('by-time');
    await admin.createTopics({ topics: [{ topic: t }] });
    const base = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) await producer.send({ topic: t, messages: [{ value: `v${i}`, timestamp: String(base + i * 1000) }] });
    expect(await admin.fetchTopicOffsetsByTimestamp(t, base + 2500)).toEqual([{ partition: 0, offset: '3' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(t, base - 1)).toEqual([{ partition: 0, offset: '0' }]);
    // After the last record: Kafka answers -1, and kafkajs then gives the end offset.
    expect(await admin.fetchTopicOffsetsByTimestamp(t, base + 10_000)).toEqual([{ partition: 0, offset: '5' }]);
  });
});
