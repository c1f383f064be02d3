// Issue 10: DescribeConfigs for a fresh topic lists exactly the topic configs
// Apache Kafka 3.9 lists, with Kafka 3.9's defaults. The reference is
// test/data/kafka-3.9-topic-configs.json, taken from Kafka 3.9.0's LogConfig and
// the constants it names, not from kafkalite's table; the answer compared is the
// one kafkajs gets over TCP. The names are the same; configs kafkalite cannot
// honour are listed with Kafka's default and refuse other values
// (broker/handlers/topic-config-refusals.test.ts). Deliberate differences in
// defaults are listed below with their reason (against another broker, named by
// KAFKA_BROKERS, none applies).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, ConfigResourceTypes, type Admin } from 'kafkajs';
import { testBroker, uniqueTopic, type TestBroker } from '../support/broker.js';

const KAFKA_39: Record<string, string> = (
  JSON.parse(readFileSync(new URL('../../test/data/kafka-3.9-topic-configs.json', import.meta.url), 'utf8')) as { configs: Record<string, string> }
).configs;

/** kafkalite's default where it deliberately differs from Kafka 3.9's, and why. */
const DIFFERENCES: Record<string, { value: string; reason: string }> = {
  'message.timestamp.after.max.ms': {
    value: '3600000',
    reason: 'kafkalite takes Kafka 4.x defaults (broker/config.test.ts); Kafka 4.0 bounds future timestamps to one hour by default where 3.9 had no bound',
  },
};

/** DescribeConfigs' DEFAULT_CONFIG source. */
const DEFAULT_CONFIG = 5;

describe('DescribeConfigs of a fresh topic, against Kafka 3.9', () => {
  let broker: TestBroker;
  let admin: Admin;

  beforeAll(async () => {
    broker = await testBroker();
    admin = new Kafka({ clientId: 'topic-configs-39', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.close();
  });

  it('lists only real differences, each for a Kafka 3.9 topic config', () => {
    for (const [name, d] of Object.entries(DIFFERENCES)) {
      expect(KAFKA_39[name], name).toBeDefined();
      expect(d.value, name).not.toBe(KAFKA_39[name]);
    }
  });

  it('lists every Kafka 3.9 topic config and no other, each at Kafka 3.9\'s default', async () => {
    const topic = uniqueTopic('cfg39');
    await admin.createTopics({ topics: [{ topic }] });
    const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
    const entries = res.resources[0]!.configEntries;
    const got = Object.fromEntries(entries.map((e) => [e.configName, e.configValue]));
    expect(Object.keys(got).sort()).toEqual(Object.keys(KAFKA_39).sort());
    const expected = broker.kafkalite === undefined ? KAFKA_39 : { ...KAFKA_39, ...Object.fromEntries(Object.entries(DIFFERENCES).map(([k, d]) => [k, d.value])) };
    expect(got).toEqual(expected);
    // Nothing set anywhere: every value is the built-in default.
    expect(entries.filter((e) => e.configSource !== DEFAULT_CONFIG || !e.isDefault).map((e) => e.configName)).toEqual([]);
  });
});
